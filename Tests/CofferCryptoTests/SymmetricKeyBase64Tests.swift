import Foundation
import Testing
@testable import CofferCrypto

/// `SymmetricKey(base64:)`: standard alphabet, padding optional, surrounding whitespace
/// ignored, exactly 32 bytes.
@Suite("SymmetricKey base64 parsing")
struct SymmetricKeyBase64Tests {
    /// Chosen so that the encoding contains both '+' and '/' (checked in `garbage`).
    static let bytes: [UInt8] = [0xfb, 0xff] + TestSupport.pattern(28, seed: 5) + [0xfe, 0xbf]
    static var padded: String { Data(bytes).base64EncodedString() }

    static func isInvalidKey(_ text: String) -> Bool {
        let e = TestSupport.cofferError { _ = try SymmetricKey(base64: text) }
        if case .invalidKey? = e { return true }
        return false
    }

    @Test("valid encodings decode to the same 32 bytes")
    func valid() throws {
        let expected = try TestSupport.key(Self.bytes)
        let padded = Self.padded
        #expect(padded.count == 44 && padded.hasSuffix("="))
        let unpadded = String(padded.dropLast())
        let encodings = [padded, unpadded, "  \(padded)\n", "\t\(unpadded)\r\n", "\n\(padded)"]
        for text in encodings {
            let key = try SymmetricKey(base64: text)
            #expect(key == expected)
            #expect(key.withUnsafeBytes { Array($0) } == Self.bytes)
        }
        // Substring input works too.
        let sub = ("xx" + padded + "yy").dropFirst(2).dropLast(2)
        #expect(try SymmetricKey(base64: sub) == expected)
        // Another key decodes to something else.
        let zero = Data(count: 32).base64EncodedString()
        #expect(try SymmetricKey(base64: zero) != expected)
        #expect(try SymmetricKey(base64: zero).withUnsafeBytes { Array($0) } == [UInt8](repeating: 0, count: 32))
    }

    @Test("wrong lengths are rejected with invalidKey", arguments: [0, 1, 16, 24, 31, 33, 48, 64])
    func wrongLength(count: Int) {
        let b64 = Data(TestSupport.pattern(count)).base64EncodedString()
        #expect(Self.isInvalidKey(b64), "\(count) bytes padded")
        #expect(Self.isInvalidKey(b64.filter { $0 != "=" }), "\(count) bytes unpadded")
    }

    @Test("garbage is rejected with invalidKey")
    func garbage() {
        let p = Self.padded
        let cases = [
            "", "   ", "\n",
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
            String(p.dropLast(2)) + "!=",                    // non-alphabet character
            p.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),  // URL-safe alphabet
            p + "=",                                         // extra padding
            p + p,                                           // two keys
            p + "AAAA",                                      // trailing data
            "AAAA" + p,                                      // leading data
            "hex:" + Self.bytes.hex,
            Self.bytes.hex,                                  // 64 hex digits are not base64 of 32 bytes
            String(p.dropFirst()),                           // one character short
        ]
        // The URL-safe variant only differs when the encoding contains '+' or '/'.
        #expect(p.contains("+") && p.contains("/"))
        for text in cases {
            #expect(Self.isInvalidKey(text), "\(text.count)-character input accepted")
        }
    }

    @Test("raw byte initialisers check the length")
    func rawLengths() throws {
        for n in [0, 31, 33, 64] {
            let e = TestSupport.cofferError { _ = try TestSupport.key(TestSupport.pattern(n)) }
            guard case .invalidKey? = e else { Issue.record("\(n) bytes: \(String(describing: e))"); continue }
            let e2 = TestSupport.cofferError { _ = try SymmetricKey(TestSupport.pattern(n).withUnsafeBytes { SecureBytes(copying: $0) }) }
            guard case .invalidKey? = e2 else { Issue.record("SecureBytes \(n) bytes: \(String(describing: e2))"); continue }
        }
        #expect(try TestSupport.key(Self.bytes).withUnsafeBytes { Array($0) } == Self.bytes)
        #expect(SymmetricKey.generate() != SymmetricKey.generate())
        #expect(SymmetricKey.generate().withUnsafeBytes { $0.count } == 32)
    }
}
