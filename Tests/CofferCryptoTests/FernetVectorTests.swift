import Foundation
import Testing
@testable import CofferCrypto

/// The Fernet spec vectors (`generate.json`, `verify.json`, `invalid.json` from
/// `cryptography-vectors`, see Tests/Vectors/SOURCES.md).
@Suite("Fernet spec vectors")
struct FernetVectorTests {
    struct Generate: Decodable {
        let token: String
        let now: String
        let iv: [UInt8]
        let src: String
        let secret: String
    }
    struct Verify: Decodable {
        let token: String
        let now: String
        let ttl_sec: Int64
        let src: String
        let secret: String
    }
    struct Invalid: Decodable {
        let token: String
        let now: String
        let ttl_sec: Int64
        let secret: String
        let desc: String
    }

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> [T] {
        try JSONDecoder().decode([T].self, from: Data(contentsOf: TestSupport.vectorURL("fernet/\(name)")))
    }

    /// `1985-10-26T01:20:01-07:00` as Unix seconds.
    static func unixTime(_ text: String) throws -> Int64 {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        guard let date = f.date(from: text) else { throw HexError.invalid("bad date") }
        return Int64(date.timeIntervalSince1970)
    }

    @Test("the files hold what the tests expect")
    func coverage() throws {
        #expect(try Self.load("generate.json", as: Generate.self).count == 1)
        #expect(try Self.load("verify.json", as: Verify.self).count == 1)
        let invalid = try Self.load("invalid.json", as: Invalid.self)
        #expect(invalid.count == 8)
        #expect(Set(invalid.map(\.desc)).count == invalid.count)
        #expect(try Self.unixTime("1985-10-26T01:20:01-07:00") == 499_162_801)
    }

    @Test("every verify.json vector opens to its src at its now and ttl")
    func verify() throws {
        let vectors = try Self.load("verify.json", as: Verify.self)
        #expect(!vectors.isEmpty)
        for v in vectors {
            let key = try FernetKey(base64: v.secret)
            let now = try Self.unixTime(v.now)
            let pt = try Fernet.open(token: v.token, keys: [key], ttl: v.ttl_sec, now: now)
            #expect(pt.unprotectedArray() == Array(v.src.utf8))
            // Without a TTL the timestamp is not checked at all.
            #expect(try Fernet.open(token: v.token, keys: [key]).unprotectedArray() == Array(v.src.utf8))
        }
    }

    @Test("every invalid.json vector is refused with authenticationFailed")
    func invalid() throws {
        let vectors = try Self.load("invalid.json", as: Invalid.self)
        #expect(vectors.count == 8)
        for v in vectors {
            let key = try FernetKey(base64: v.secret)
            let now = try Self.unixTime(v.now)
            let error = TestSupport.cofferError { _ = try Fernet.open(token: v.token, keys: [key], ttl: v.ttl_sec, now: now) }
            #expect(error == .authenticationFailed, "\(v.desc)")
            // The same with a second, unrelated key tried first (MultiFernet).
            let other = try FernetKey(base64: Fernet.encodeToken(TestSupport.pattern(32, seed: 9)))
            let multi = TestSupport.cofferError { _ = try Fernet.open(token: v.token, keys: [other, key], ttl: v.ttl_sec, now: now) }
            #expect(multi == .authenticationFailed, "\(v.desc) (two keys)")
        }
    }

    @Test("the invalid vectors that only fail on time open without a TTL")
    func timeOnlyFailures() throws {
        // Makes sure the TTL and clock-skew checks are what refuses these two, not something else.
        var seen = 0
        for v in try Self.load("invalid.json", as: Invalid.self)
        where v.desc == "expired TTL" || v.desc.hasPrefix("far-future TS") {
            let key = try FernetKey(base64: v.secret)
            // Both hold an empty plaintext (pyca's `Fernet(secret).decrypt(token)` gives b'').
            #expect(try Fernet.open(token: v.token, keys: [key]).count == 0, "\(v.desc)")
            seen += 1
        }
        #expect(seen == 2)
    }

    @Test("every generate.json vector is reproduced byte for byte")
    func generate() throws {
        let vectors = try Self.load("generate.json", as: Generate.self)
        #expect(!vectors.isEmpty)
        for v in vectors {
            let key = try FernetKey(base64: v.secret)
            let now = try Self.unixTime(v.now)
            let token = try Fernet.seal(Array(v.src.utf8), key: key, iv: v.iv, timestamp: UInt64(now))
            #expect(token == v.token)
            #expect(try Fernet.open(token: v.token, keys: [key]).unprotectedArray() == Array(v.src.utf8))
        }
    }
}
