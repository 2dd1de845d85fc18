import Foundation
import CofferTestSupport
import Testing
@testable import CofferCrypto

/// Tokens made at test time by pyca's `Fernet` / `MultiFernet` (Python's `cryptography`,
/// installed by scripts/install-deps.sh) open here to the right bytes, and pyca and Coffer
/// agree on the TTL and clock-skew boundaries. Without python3 and `cryptography` these tests
/// fail with a message saying so; they are never skipped.
@Suite("Fernet interop with pyca")
struct FernetPycaTests {
    typealias Case = PycaFernet.Token
    typealias TTLCheck = PycaFernet.TTLCheck

    static func randomKeyText() -> String {
        Fernet.encodeToken((0..<32).map { _ in UInt8.random(in: 0...255) })
    }

    @Test("pyca Fernet and MultiFernet tokens open to the right bytes")
    func pycaTokensOpen() throws {
        let keyTexts = (0..<3).map { _ in Self.randomKeyText() }
        let keys = try keyTexts.map { try FernetKey(base64: $0) }
        let plaintexts: [[UInt8]] = [
            [],
            Array("hello".utf8),
            Array("pâté, Grüße, 秘密, 🔑".utf8),
            [0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00],  // not UTF-8
            (0...255).map { UInt8($0) },
            TestSupport.pattern(15), TestSupport.pattern(16), TestSupport.pattern(17),
            (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255) },  // 1 MiB
        ]
        var cases: [Case] = []
        for (i, pt) in plaintexts.enumerated() {
            cases.append(Case(hex: pt.hex, key: i % 3))
        }
        // MultiFernet encrypts with its first key.
        cases.append(Case(hex: Array("multi".utf8).hex, multi: [1, 0]))
        cases.append(Case(hex: Array("multi".utf8).hex, multi: [2, 1, 0]))

        let answer = try PycaFernet.run(keys: keyTexts, tokens: cases)
        try #require(answer.tokens.count == cases.count)

        for (i, pt) in plaintexts.enumerated() {
            let token = answer.tokens[i]
            let own = keys[i % 3]
            let opened = try Fernet.open(token: token, keys: [own])
            let same = opened.unprotectedArray() == pt  // a Bool: a failure must not print 1 MiB
            #expect(same, "plaintext \(i) (\(pt.count) bytes)")
            // With all three keys in any order (MultiFernet), still the same bytes.
            let all = try Fernet.open(token: token, keys: [keys[2], keys[1], keys[0]])
            #expect(all == opened, "plaintext \(i), three keys")
            // With the other two keys only: refused.
            let others = keys.indices.filter { $0 != i % 3 }.map { keys[$0] }
            #expect(TestSupport.cofferError { _ = try Fernet.open(token: token, keys: others) } == .authenticationFailed,
                    "plaintext \(i), wrong keys")
            // pyca's own timestamp is "now": a generous TTL accepts it, as pyca would.
            #expect(try Fernet.open(token: token, keys: [own], ttl: 3600).count == pt.count)
        }
        let multi1 = answer.tokens[plaintexts.count], multi2 = answer.tokens[plaintexts.count + 1]
        // Made with key 1 (MultiFernet([k1, k0])): opens with [k0, k1], not with [k0] alone.
        #expect(try Fernet.open(token: multi1, keys: [keys[0], keys[1]]).unprotectedArray() == Array("multi".utf8))
        #expect(TestSupport.cofferError { _ = try Fernet.open(token: multi1, keys: [keys[0]]) } == .authenticationFailed)
        #expect(try Fernet.open(token: multi2, keys: [keys[0], keys[1], keys[2]]).unprotectedArray() == Array("multi".utf8))
        #expect(TestSupport.cofferError { _ = try Fernet.open(token: multi2, keys: [keys[0], keys[1]]) } == .authenticationFailed)
    }

    @Test("pyca and Coffer agree on TTL expiry and clock skew at the boundaries")
    func ttlBoundariesAgree() throws {
        let keyText = Self.randomKeyText()
        let key = try FernetKey(base64: keyText)
        let t: Int64 = 1_600_000_000
        let cases = [Case(hex: Array("ttl".utf8).hex, key: 0, at: t)]
        var checks: [TTLCheck] = []
        for ttl: Int64 in [0, 1, 60, 3600] {
            for now in [t - 3600, t - 61, t - 60, t - 59, t, t + ttl - 1, t + ttl, t + ttl + 1, t + 10 * ttl + 100] {
                checks.append(TTLCheck(token: 0, key: 0, ttl: ttl, now: now))
            }
        }
        let answer = try PycaFernet.run(keys: [keyText], tokens: cases, ttlChecks: checks)
        try #require(answer.tokens.count == 1 && answer.ttl.count == checks.count)
        let token = answer.tokens[0]
        #expect(Fernet.decodeToken(token).map { Array($0[1..<9]) } == withUnsafeBytes(of: UInt64(t).bigEndian, Array.init))
        var accepted = 0, refused = 0
        for (check, pycaAccepts) in zip(checks, answer.ttl) {
            let ours = (try? Fernet.open(token: token, keys: [key], ttl: check.ttl, now: check.now)) != nil
            #expect(ours == pycaAccepts, "ttl \(check.ttl), now = timestamp \(check.now - t >= 0 ? "+" : "")\(check.now - t)")
            if pycaAccepts { accepted += 1 } else { refused += 1 }
        }
        // Both outcomes occur, so the comparison above can catch a disagreement either way.
        #expect(accepted > 0 && refused > 0)
    }
}
