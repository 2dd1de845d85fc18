import Foundation
@testable import CofferCrypto

/// Shared helpers for the CofferCrypto tests. Nothing here prints bytes.
enum TestSupport {
    /// `Tests/` of this package, found from this file's path (no SwiftPM resources).
    static let testsDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CofferCryptoTests
        .deletingLastPathComponent()  // Tests

    static func vectorURL(_ name: String) -> URL {
        testsDirectory.appendingPathComponent("Vectors").appendingPathComponent(name)
    }

    static func fixtureURL(_ name: String) -> URL {
        testsDirectory.appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    /// Deterministic, non-constant test bytes.
    static func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ 3) }
    }

    static func key(_ bytes: [UInt8]) throws -> SymmetricKey {
        try bytes.withUnsafeBytes { try SymmetricKey(copying: $0) }
    }

    /// Runs `body` and returns the `CofferCryptoError` it threw, or nil if it threw nothing.
    /// Any other error type is returned as `.libraryFailure("unexpected: …")` so that
    /// comparisons against an expected case fail.
    static func cofferError(_ body: () throws -> Void) -> CofferCryptoError? {
        do {
            try body()
            return nil
        } catch let e as CofferCryptoError {
            return e
        } catch {
            return .libraryFailure(operation: "unexpected error type \(type(of: error))")
        }
    }
}

enum HexError: Error { case invalid(String) }

extension Array where Element == UInt8 {
    /// Decodes hex (either case, no separators). Throws on odd length or a non-hex digit.
    init(hex: some StringProtocol) throws {
        let s = Array(hex.utf8)
        guard s.count % 2 == 0 else { throw HexError.invalid("odd length") }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw HexError.invalid("non-hex digit")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(s.count / 2)
        var i = 0
        while i < s.count {
            out.append(try nibble(s[i]) << 4 | nibble(s[i + 1]))
            i += 2
        }
        self = out
    }

    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The two raw AES-256-GCM implementations behind `EnvelopeKey`, driven with arbitrary
/// nonces and AAD so that standard vectors apply to them directly.
enum RawGCM: String, CaseIterable, Sendable, CustomStringConvertible {
    case sodium
    case openSSL

    var description: String { rawValue }

    /// Encrypts; returns ciphertext and 16-byte tag.
    func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) throws -> (ct: [UInt8], tag: [UInt8]) {
        precondition(nonce.count == 12)
        let k = try TestSupport.key(key)
        let n = plaintext.count
        // Never hand the libraries a nil pointer: pad the buffers to at least one byte.
        let pt = plaintext + [0]
        var out = [UInt8](repeating: 0, count: n + 16 + 1)
        try pt.withUnsafeBytes { p in
            try nonce.withUnsafeBytes { iv in
                try aad.withUnsafeBytes { a in
                    try out.withUnsafeMutableBytes { o in
                        switch self {
                        case .sodium:
                            let gcm = try SodiumGCM(key: k)
                            try withExtendedLifetime(gcm) {
                                try gcm.statePointer.seal(
                                    plaintext: p.baseAddress!, count: n, aad: a.baseAddress ?? p.baseAddress!, aadCount: a.count,
                                    nonce: iv.baseAddress!, ciphertext: o.baseAddress!, tag: o.baseAddress! + n)
                            }
                        case .openSSL:
                            try OpenSSLGCM(key: k).seal(
                                plaintext: p.baseAddress!, count: n, aad: a, nonce: iv.baseAddress!,
                                ciphertext: o.baseAddress!, tag: o.baseAddress! + n)
                        }
                    }
                }
            }
        }
        return (Array(out[0..<n]), Array(out[n..<(n + 16)]))
    }

    /// Verifies and decrypts; nil when authentication fails.
    func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws -> [UInt8]? {
        precondition(nonce.count == 12 && tag.count == 16)
        let k = try TestSupport.key(key)
        let n = ciphertext.count
        let body = ciphertext + tag
        var out = [UInt8](repeating: 0, count: n + 1)
        let ok = try body.withUnsafeBytes { c in
            try nonce.withUnsafeBytes { iv in
                try aad.withUnsafeBytes { a in
                    try out.withUnsafeMutableBytes { o -> Bool in
                        switch self {
                        case .sodium:
                            let gcm = try SodiumGCM(key: k)
                            return withExtendedLifetime(gcm) {
                                gcm.statePointer.open(
                                    ciphertext: c.baseAddress!, count: n, tag: c.baseAddress! + n,
                                    aad: a.baseAddress ?? c.baseAddress!, aadCount: a.count,
                                    nonce: iv.baseAddress!, plaintext: o.baseAddress!)
                            }
                        case .openSSL:
                            return try OpenSSLGCM(key: k).open(
                                ciphertext: c.baseAddress!, count: n, tag: c.baseAddress! + n, aad: a,
                                nonce: iv.baseAddress!, plaintext: o.baseAddress!)
                        }
                    }
                }
            }
        }
        return ok ? Array(out[0..<n]) : nil
    }
}
