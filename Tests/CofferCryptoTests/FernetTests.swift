import Foundation
import Testing
@testable import CofferCrypto

/// Fernet opening: MultiFernet key order, tampering, TTL and clock skew, argument checks.
/// Tokens are made with the internal `Fernet.seal` (which reproduces the spec's generate.json
/// byte for byte, see FernetVectorTests).
@Suite("Fernet opening")
struct FernetTests {
    static func key(seed: UInt8) throws -> FernetKey {
        try FernetKey(base64: Fernet.encodeToken(TestSupport.pattern(32, seed: seed)))
    }

    static let t0: Int64 = 1_700_000_000

    static func token(_ plaintext: [UInt8], key: FernetKey, at time: Int64 = t0) throws -> String {
        try Fernet.seal(plaintext, key: key, iv: TestSupport.pattern(16, seed: 77), timestamp: UInt64(time))
    }

    static func fails(_ token: String, _ keys: [FernetKey], ttl: Int64? = nil, now: Int64? = nil) -> Bool {
        TestSupport.cofferError { _ = try Fernet.open(token: token, keys: keys, ttl: ttl, now: now) } == .authenticationFailed
    }

    @Test("MultiFernet: keys are tried in order, any of them may open the token")
    func keyOrder() throws {
        let k1 = try Self.key(seed: 1), k2 = try Self.key(seed: 2), k3 = try Self.key(seed: 3)
        let pt = Array("rotated secret".utf8)
        let byK2 = try Self.token(pt, key: k2)
        #expect(try Fernet.open(token: byK2, keys: [k1, k2]).unprotectedArray() == pt)
        #expect(try Fernet.open(token: byK2, keys: [k2, k1]).unprotectedArray() == pt)
        #expect(try Fernet.open(token: byK2, keys: [k1, k3, k2]).unprotectedArray() == pt)
        #expect(Self.fails(byK2, [k1]))
        #expect(Self.fails(byK2, [k1, k3]))
        let byK1 = try Self.token(pt, key: k1)
        #expect(try Fernet.open(token: byK1, keys: [k1, k2]).unprotectedArray() == pt)
    }

    @Test("a key whose halves are swapped does not open the token")
    func halvesMatter() throws {
        let raw = TestSupport.pattern(32, seed: 4)
        let key = try FernetKey(base64: Fernet.encodeToken(raw))
        let swapped = try FernetKey(base64: Fernet.encodeToken(Array(raw[16...] + raw[..<16])))
        let token = try Self.token(Array("x".utf8), key: key)
        #expect(Self.fails(token, [swapped]))
        // Same signing key, different encryption key: the HMAC verifies, decryption must not
        // yield the plaintext (it fails on padding, or opens to different bytes).
        let otherAES = try FernetKey(base64: Fernet.encodeToken(Array(raw[..<16]) + TestSupport.pattern(16, seed: 5)))
        if let wrong = try? Fernet.open(token: token, keys: [otherAES]) {
            #expect(wrong.unprotectedArray() != Array("x".utf8))
        }
    }

    @Test("a flipped bit anywhere in the token bytes is refused")
    func flippedBits() throws {
        let key = try Self.key(seed: 6)
        let pt = TestSupport.pattern(40, seed: 1)
        let token = try Self.token(pt, key: key)
        let bytes = try #require(Fernet.decodeToken(token))
        #expect(bytes.count == 25 + 48 + 32)
        var checked = 0
        for i in bytes.indices {
            for bit in 0..<8 {
                var t = bytes
                t[i] ^= 1 << bit
                #expect(Self.fails(Fernet.encodeToken(t), [key]), "byte \(i) bit \(bit)")
                checked += 1
            }
        }
        #expect(checked == bytes.count * 8)
        // The untouched token still opens, so the failures above are the flips' doing.
        #expect(try Fernet.open(token: token, keys: [key]).unprotectedArray() == pt)
    }

    @Test("any changed character, truncation or extension of the token text is refused")
    func textChanges() throws {
        let key = try Self.key(seed: 7)
        let token = try Self.token(Array("hello fernet".utf8), key: key)
        let chars = Array(token)
        for i in chars.indices {
            var c = chars
            c[i] = c[i] == "A" ? "B" : "A"
            #expect(Self.fails(String(c), [key]), "character \(i)")
        }
        for n in 0..<chars.count {
            #expect(Self.fails(String(chars[..<n]), [key]), "prefix \(n)")
        }
        for suffix in ["=", "A", "AAAA", " ", "\n"] {
            #expect(Self.fails(token + suffix, [key]))
        }
        #expect(Self.fails(" " + token, [key]))
        // Unpadded and standard-alphabet forms are not Fernet tokens.
        #expect(Self.fails(token.replacingOccurrences(of: "=", with: ""), [key]))
        #expect(Self.fails("", [key]))
        #expect(Self.fails("gAAAAA==", [key]))
    }

    @Test("wrong version byte is refused even with a valid HMAC")
    func wrongVersion() throws {
        let key = try Self.key(seed: 8)
        var bytes = try #require(Fernet.decodeToken(try Self.token(Array("v".utf8), key: key)))
        bytes[0] = 0x81
        // Re-sign so that only the version is wrong.
        let signed = bytes.count - 32
        try bytes.withUnsafeMutableBytes { b in
            try key.withSigningKey { k in
                try OpenSSLHMAC.sha256(key: k, data: UnsafeRawBufferPointer(rebasing: b[..<signed]),
                                       into: UnsafeMutableRawBufferPointer(rebasing: b[signed...]))
            }
        }
        #expect(Self.fails(Fernet.encodeToken(bytes), [key]))
    }

    @Test("TTL: too old when timestamp + ttl < now; too far in the future beyond 60 s")
    func ttl() throws {
        let key = try Self.key(seed: 10)
        let pt = Array("ttl".utf8)
        let t = Self.t0
        let token = try Self.token(pt, key: key, at: t)
        func opens(ttl: Int64?, now: Int64) -> Bool {
            (try? Fernet.open(token: token, keys: [key], ttl: ttl, now: now))?.unprotectedArray() == pt
        }
        #expect(opens(ttl: 60, now: t))
        #expect(opens(ttl: 60, now: t + 60))
        #expect(!opens(ttl: 60, now: t + 61))
        #expect(Self.fails(token, [key], ttl: 60, now: t + 61))
        #expect(opens(ttl: 0, now: t))
        #expect(!opens(ttl: 0, now: t + 1))
        #expect(opens(ttl: 60, now: t - 60))
        #expect(!opens(ttl: 60, now: t - 61))
        #expect(!opens(ttl: Int64.max, now: t - 61))
        #expect(opens(ttl: Int64.max, now: Int64.max))
        // Without a TTL the timestamp is not checked (pyca).
        #expect(opens(ttl: nil, now: t + 1_000_000_000))
        #expect(opens(ttl: nil, now: 0))
        // The default clock: the token is from 2023, so a one-day TTL has expired.
        #expect(Self.fails(token, [key], ttl: 86_400))
        #expect(try Fernet.open(token: token, keys: [key], ttl: Int64(Date().timeIntervalSince1970) - t + 3600)
            .unprotectedArray() == pt)
    }

    @Test("extreme timestamps do not overflow")
    func extremeTimestamps() throws {
        let key = try Self.key(seed: 11)
        let max = try Fernet.seal(Array("m".utf8), key: key, iv: TestSupport.pattern(16), timestamp: .max)
        #expect(Self.fails(max, [key], ttl: Int64.max, now: Int64.max))
        #expect(try Fernet.open(token: max, keys: [key]).unprotectedArray() == Array("m".utf8))
        let zero = try Fernet.seal(Array("z".utf8), key: key, iv: TestSupport.pattern(16), timestamp: 0)
        #expect(Self.fails(zero, [key], ttl: 10, now: Int64.max))
        #expect(Self.fails(zero, [key], ttl: 10, now: Int64.min))
        #expect(Self.fails(zero, [key], ttl: 10, now: -61))
        #expect(try Fernet.open(token: zero, keys: [key], ttl: 10, now: -60).unprotectedArray() == Array("z".utf8))
    }

    @Test("argument errors are not token errors")
    func argumentErrors() throws {
        let key = try Self.key(seed: 12)
        let token = try Self.token(Array("a".utf8), key: key)
        guard case .invalidKey = TestSupport.cofferError({ _ = try Fernet.open(token: token, keys: []) }) else {
            Issue.record("empty key list must be invalidKey")
            return
        }
        guard case .invalidContext = TestSupport.cofferError({ _ = try Fernet.open(token: token, keys: [key], ttl: -1) }) else {
            Issue.record("negative TTL must be invalidContext")
            return
        }
    }

    @Test("empty and large plaintexts round-trip; the error names nothing secret")
    func sizesAndRedaction() throws {
        let key = try Self.key(seed: 13)
        for n in [0, 1, 15, 16, 17, 1 << 20] {
            let pt = TestSupport.pattern(n, seed: 3)
            let token = try Self.token(pt, key: key)
            let opened = try Fernet.open(token: token, keys: [key])
            #expect(opened.count == n)
            let same = opened.unprotectedArray() == pt  // a Bool, so a failure does not print 1 MiB
            #expect(same, "\(n) bytes")
        }
        let token = try Self.token(Array("do not print me".utf8), key: key)
        var bytes = try #require(Fernet.decodeToken(token))
        bytes[30] ^= 1
        do {
            _ = try Fernet.open(token: Fernet.encodeToken(bytes), keys: [key])
            Issue.record("tampered token opened")
        } catch {
            let text = "\(error)"
            #expect(!text.contains("do not print me"))
            #expect(!text.contains(token.prefix(20)))
            #expect(!text.contains("byte"))
        }
    }
}
