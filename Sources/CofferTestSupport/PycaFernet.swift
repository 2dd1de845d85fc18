import Foundation

/// Fernet tokens made at test time by pyca's `Fernet` / `MultiFernet` (Python's `cryptography`,
/// installed by scripts/install-deps.sh), for the interop tests of every test target. Without
/// python3 and `cryptography` it throws an error saying how to install them; callers never skip.
public enum PycaFernet {
    /// One token to make: plaintext bytes as hex, with key `key` or a MultiFernet over `multi`
    /// (key indexes, first one encrypts), at Unix time `at` (default: now).
    public struct Token: Encodable, Sendable {
        public var pt: String
        public var key: Int?
        public var multi: [Int]?
        public var at: Int64?

        public init(hex: String, key: Int? = nil, multi: [Int]? = nil, at: Int64? = nil) {
            self.pt = hex
            self.key = key
            self.multi = multi
            self.at = at
        }

        /// A token of the UTF-8 bytes of `text` under key `key`.
        public init(text: String, key: Int, at: Int64? = nil) {
            self.init(hex: PycaFernet.hex(Array(text.utf8)), key: key, at: at)
        }
    }

    /// Does pyca accept token `token` with key `key` under `ttl` seconds at time `now`?
    public struct TTLCheck: Encodable, Sendable {
        public var token: Int
        public var key: Int
        public var ttl: Int64
        public var now: Int64

        public init(token: Int, key: Int, ttl: Int64, now: Int64) {
            self.token = token
            self.key = key
            self.ttl = ttl
            self.now = now
        }
    }

    /// pyca's answers.
    public struct Answer: Decodable, Sendable {
        public var tokens: [String]
        public var ttl: [Bool]
    }

    /// python3 or `cryptography` is missing, or the helper failed; the text says what to do.
    public typealias Unavailable = PythonHelper.Unavailable

    private struct Request: Encodable {
        let keys: [String]
        let cases: [Token]
        let ttl_checks: [TTLCheck]
    }

    /// Reads a JSON request from stdin, writes a JSON answer to stdout.
    static let script = #"""
import json, sys
try:
    from cryptography.fernet import Fernet, MultiFernet, InvalidToken
except ImportError:
    sys.stderr.write("cannot import cryptography.fernet\n")
    sys.exit(3)
req = json.load(sys.stdin)
keys = [Fernet(k) for k in req["keys"]]
tokens = []
for c in req["cases"]:
    pt = bytes.fromhex(c["pt"])
    f = MultiFernet([keys[i] for i in c["multi"]]) if c.get("multi") else keys[c["key"]]
    tokens.append((f.encrypt_at_time(pt, c["at"]) if c.get("at") is not None else f.encrypt(pt)).decode("ascii"))
ttl = []
for c in req["ttl_checks"]:
    try:
        keys[c["key"]].decrypt_at_time(tokens[c["token"]].encode("ascii"), c["ttl"], c["now"])
        ttl.append(True)
    except InvalidToken:
        ttl.append(False)
json.dump({"tokens": tokens, "ttl": ttl}, sys.stdout)
"""#

    /// Makes `tokens` with `keys` (url-safe base64 key texts) and runs `ttlChecks` on them.
    public static func run(keys: [String], tokens: [Token], ttlChecks: [TTLCheck] = []) throws -> Answer {
        let request = try JSONEncoder().encode(Request(keys: keys, cases: tokens, ttl_checks: ttlChecks))
        let out = try PythonHelper.run(script, input: request, purpose: "make Fernet tokens")
        return try JSONDecoder().decode(Answer.self, from: out)
    }

    /// A random Fernet key as pyca writes it (url-safe base64 with padding).
    public static func keyText() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
