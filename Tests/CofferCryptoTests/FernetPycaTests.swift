import Foundation
import Testing
@testable import CofferCrypto

/// Tokens made at test time by pyca's `Fernet` / `MultiFernet` (Python's `cryptography`,
/// installed by scripts/install-deps.sh) open here to the right bytes, and pyca and Coffer
/// agree on the TTL and clock-skew boundaries. Without python3 and `cryptography` these tests
/// fail with a message saying so; they are never skipped.
@Suite("Fernet interop with pyca")
struct FernetPycaTests {
    /// Reads a JSON request from argv[1], writes a JSON answer to stdout.
    static let script = #"""
import json, sys
try:
    from cryptography.fernet import Fernet, MultiFernet, InvalidToken
except ImportError:
    sys.stderr.write("cannot import cryptography.fernet\n")
    sys.exit(3)
req = json.load(open(sys.argv[1]))
keys = [Fernet(k) for k in req["keys"]]
tokens = []
for c in req["cases"]:
    pt = bytes.fromhex(c["pt"])
    if "multi" in c:
        f = MultiFernet([keys[i] for i in c["multi"]])
    else:
        f = keys[c["key"]]
    tokens.append((f.encrypt_at_time(pt, c["at"]) if "at" in c else f.encrypt(pt)).decode("ascii"))
ttl = []
for c in req["ttl_checks"]:
    try:
        keys[c["key"]].decrypt_at_time(tokens[c["token"]].encode("ascii"), c["ttl"], c["now"])
        ttl.append(True)
    except InvalidToken:
        ttl.append(False)
json.dump({"tokens": tokens, "ttl": ttl}, sys.stdout)
"""#

    struct Case: Encodable {
        var pt: String
        var key: Int? = nil
        var multi: [Int]? = nil
        var at: Int64? = nil
    }
    struct TTLCheck: Encodable {
        let token: Int
        let key: Int
        let ttl: Int64
        let now: Int64
    }
    struct Request: Encodable {
        let keys: [String]
        let cases: [Case]
        let ttl_checks: [TTLCheck]
    }
    struct Answer: Decodable {
        let tokens: [String]
        let ttl: [Bool]
    }

    struct PythonUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the script; throws a readable error if python3 or `cryptography` is missing.
    static func pyca(_ request: Request) throws -> Answer {
        let dir = try TemporaryDirectory()
        let input = try dir.write("request.json", Array(try JSONEncoder().encode(request)), mode: 0o600)
        let errPath = try dir.write("stderr", [], mode: 0o600)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, input]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw PythonUnavailable(description: "cannot start /usr/bin/env python3 (\(error)); run scripts/install-deps.sh")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self)
        switch process.terminationStatus {
        case 0:
            return try JSONDecoder().decode(Answer.self, from: data)
        case 127:
            throw PythonUnavailable(description: "python3 is not installed; run scripts/install-deps.sh")
        case 3:
            throw PythonUnavailable(description:
                "python3 cannot import the `cryptography` package, needed to make Fernet tokens with pyca; "
                + "run scripts/install-deps.sh (or: python3 -m pip install cryptography)")
        default:
            throw PythonUnavailable(description:
                "the pyca Fernet helper exited with status \(process.terminationStatus): \(stderr.suffix(600))")
        }
    }

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
            cases.append(Case(pt: pt.hex, key: i % 3))
        }
        // MultiFernet encrypts with its first key.
        cases.append(Case(pt: Array("multi".utf8).hex, multi: [1, 0]))
        cases.append(Case(pt: Array("multi".utf8).hex, multi: [2, 1, 0]))

        let answer = try Self.pyca(Request(keys: keyTexts, cases: cases, ttl_checks: []))
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
        let cases = [Case(pt: Array("ttl".utf8).hex, key: 0, at: t)]
        var checks: [TTLCheck] = []
        for ttl: Int64 in [0, 1, 60, 3600] {
            for now in [t - 3600, t - 61, t - 60, t - 59, t, t + ttl - 1, t + ttl, t + ttl + 1, t + 10 * ttl + 100] {
                checks.append(TTLCheck(token: 0, key: 0, ttl: ttl, now: now))
            }
        }
        let answer = try Self.pyca(Request(keys: [keyText], cases: cases, ttl_checks: checks))
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
