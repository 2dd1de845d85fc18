import Foundation
import Testing
@testable import CofferCrypto

/// `FernetKey`: text forms, key files and their modes, redaction.
@Suite("Fernet keys")
struct FernetKeyTests {
    /// The key of the spec vectors, and its raw bytes.
    static let specKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
    static var specRaw: [UInt8] {
        Array(Data(base64Encoded: specKey.replacingOccurrences(of: "_", with: "/").replacingOccurrences(of: "-", with: "+"))!)
    }

    static func raw(_ key: FernetKey) -> [UInt8] { key.storage.withUnsafeBytes { Array($0) } }

    @Test("url-safe text decodes to the 32 bytes; halves are signing then encryption key")
    func decodesSpecKey() throws {
        let key = try FernetKey(base64: Self.specKey)
        #expect(Self.raw(key) == Self.specRaw)
        #expect(key.withSigningKey { Array($0) } == Array(Self.specRaw[..<16]))
        #expect(key.withEncryptionKey { Array($0) } == Array(Self.specRaw[16...]))
    }

    @Test("accepted variants: no padding, standard alphabet, surrounding whitespace")
    func variants() throws {
        let reference = try FernetKey(base64: Self.specKey)
        let standard = Self.specKey.replacingOccurrences(of: "_", with: "/").replacingOccurrences(of: "-", with: "+")
        for text in [
            Self.specKey.replacingOccurrences(of: "=", with: ""),
            standard, standard.replacingOccurrences(of: "=", with: ""),
            Self.specKey + "\n", "  " + Self.specKey + "\r\n",
        ] {
            #expect(try FernetKey(base64: text) == reference)
        }
    }

    @Test("refused: wrong length, bad characters, mixed alphabets")
    func refused() throws {
        let mixed = Self.specKey.replacingOccurrences(of: "_", with: "/")  // has both '-' and '/'
        let b64of31 = Data([UInt8](repeating: 7, count: 31)).base64EncodedString()
        let b64of33 = Data([UInt8](repeating: 7, count: 33)).base64EncodedString()
        for text in ["", "   ", String(Self.specKey.dropLast(2)), Self.specKey + "AAAA", b64of31, b64of33,
                     mixed, "%" + Self.specKey.dropFirst(), Self.specKey + "=="] {
            do {
                _ = try FernetKey(base64: text)
                Issue.record("accepted \(text.count) characters")
            } catch let CofferCryptoError.invalidKey(why) {
                #expect(why.contains("url-safe base64"))
                if text.count > 8 { #expect(!why.contains(text.prefix(8))) }
            }
        }
    }

    @Test("description is redacted; equality compares the bytes")
    func redaction() throws {
        let key = try FernetKey(base64: Self.specKey)
        #expect("\(key)" == "FernetKey(redacted)")
        #expect(String(reflecting: key) == "FernetKey(redacted)")
        let other = try FernetKey(base64: Fernet.encodeToken(TestSupport.pattern(32)))
        #expect(key != other)
        #expect(key == (try FernetKey(base64: Self.specKey)))
    }

    @Test("a 0600 or 0400 key file is read (trailing newline fine)")
    func keyFile() throws {
        let dir = try TemporaryDirectory()
        let p1 = try dir.write("k1", Array((Self.specKey + "\n").utf8), mode: 0o600)
        let p2 = try dir.write("k2", Array(Self.specKey.utf8), mode: 0o400)
        #expect(try FernetKey(contentsOfFile: p1) == (try FernetKey(base64: Self.specKey)))
        #expect(try FernetKey(contentsOfFile: p2) == (try FernetKey(base64: Self.specKey)))
    }

    static func invalidKeyMessage(_ body: () throws -> Void) -> String? {
        if case .invalidKey(let why) = TestSupport.cofferError(body) { return why }
        return nil
    }

    @Test("group- or other-accessible key files are refused with a chmod hint",
          arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666])
    func modesRefused(mode: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("k", Array(Self.specKey.utf8), mode: mode)
        let why = try #require(Self.invalidKeyMessage { _ = try FernetKey(contentsOfFile: path) })
        #expect(why.hasPrefix("Fernet key file \(path) has mode 0\(String(mode, radix: 8)), so other users can"))
        #expect(why.hasSuffix("run: chmod 600 \(path)"))
        #expect(!why.contains(Self.specKey))
    }

    @Test("missing file, directory, oversized file and bad content are refused without echoing content")
    func badFiles() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.file("nope")
        #expect(Self.invalidKeyMessage { _ = try FernetKey(contentsOfFile: missing) } == "Fernet key file \(missing) does not exist")

        try FileManager.default.createDirectory(atPath: dir.file("d"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(Self.invalidKeyMessage { _ = try FernetKey(contentsOfFile: dir.file("d")) }?.contains("is not a regular file") == true)

        let big = try dir.write("big", [UInt8](repeating: 0x41, count: 300), mode: 0o600)
        #expect(Self.invalidKeyMessage { _ = try FernetKey(contentsOfFile: big) }?.contains("too large") == true)

        // Two keys in one file are not one key.
        let two = try dir.write("two", Array((Self.specKey + "\n" + Self.specKey + "\n").utf8), mode: 0o600)
        let why = try #require(Self.invalidKeyMessage { _ = try FernetKey(contentsOfFile: two) })
        #expect(why.contains("does not hold a Fernet key"))
        #expect(!why.contains(Self.specKey.prefix(8)))
    }
}
