import Coffer
import CofferCrypto
import Foundation
import CofferTestSupport
import Testing

/// The Fernet import file reader over tokens made at test time by pyca's `Fernet` (Python's
/// `cryptography`, installed by scripts/install-deps.sh; without it these tests fail with a
/// message saying so). Every bad line is reported with its line number, and no failure text
/// contains a token, a name or a plaintext.
@Suite("Fernet import file")
struct FernetImportFileTests {
    /// Reads a JSON request from argv[1], writes the tokens as a JSON array to stdout.
    typealias TokenRequest = PycaFernet.Token

    /// Fernet tokens made by pyca for `requests`, with `keys` (url-safe base64 key texts).
    static func pyca(keys: [String], _ requests: [TokenRequest]) throws -> [String] {
        try PycaFernet.run(keys: keys, tokens: requests).tokens
    }

    /// A random Fernet key as pyca writes it (url-safe base64 with padding).
    static func keyText() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    static func hex(_ s: String) -> String { Array(s.utf8).map { String(format: "%02x", $0) }.joined() }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let nowSeconds: Int64 = 1_800_000_000

    /// Changes one character in the middle of `token` to another valid base64 character.
    static func tampered(_ token: String) -> String {
        var chars = Array(token)
        let i = chars.count / 2
        chars[i] = chars[i] == "A" ? "B" : "A"
        return String(chars)
    }

    @Test("a mixed file: good lines from both keys open, every bad line is reported by number")
    func mixedFile() throws {
        let keyTexts = [Self.keyText(), Self.keyText(), Self.keyText()]  // new, old, unknown
        let plaintexts = [
            "db-password-plaintext-1", "api-key-from-old-key-2", "line-after-crlf-3", "expired-plaintext-4",
            "tampered-plaintext-5", "foreign-key-plaintext-6", "missing-tab-plaintext-7", "bad-name-plaintext-8",
            "duplicate-plaintext-9", "pâté-🔑-unicode-10",
        ]
        let t = Self.nowSeconds
        let tokens = try Self.pyca(keys: keyTexts, [
            TokenRequest(hex: Self.hex(plaintexts[0]), key: 0, at: t - 10),
            TokenRequest(hex: Self.hex(plaintexts[1]), key: 1, at: t - 20),  // made with the old key
            TokenRequest(hex: Self.hex(plaintexts[2]), key: 1, at: t),
            TokenRequest(hex: Self.hex(plaintexts[3]), key: 0, at: t - 7200),  // older than the TTL
            TokenRequest(hex: Self.hex(plaintexts[4]), key: 0, at: t),
            TokenRequest(hex: Self.hex(plaintexts[5]), key: 2, at: t),  // a key not given
            TokenRequest(hex: Self.hex(plaintexts[6]), key: 0, at: t),
            TokenRequest(hex: Self.hex(plaintexts[7]), key: 0, at: t),
            TokenRequest(hex: Self.hex(plaintexts[8]), key: 1, at: t),
            TokenRequest(hex: Self.hex(plaintexts[9]), key: 0, at: t),
        ])
        let lines = [
            "# exported from the old service",                       // 1 comment
            "db/password\t\(tokens[0])",                             // 2 ok (new key)
            "",                                                      // 3 blank
            "api-key\t\(tokens[1])\r",                               // 4 ok (old key), CRLF
            "crlf.value\t\(tokens[2])  \r",                          // 5 ok, trailing spaces
            "stale-entry\t\(tokens[3])",                                 // 6 expired
            "tampered\t\(Self.tampered(tokens[4]))",                 // 7 tampered
            "foreign\t\(tokens[5])",                                 // 8 unknown key
            "missing-tab \(tokens[6])",                              // 9 missing tab
            "bad name!\t\(tokens[7])",                               // 10 invalid name
            "db/password\t\(tokens[8])",                             // 11 duplicate of line 2
            "   ",                                                   // 12 blank
            "#\tcomment with a tab",                                 // 13 comment
            "unicode\t\(tokens[9])",                                 // 14 ok
            "no-token\t",                                            // 15 no token
        ]
        let data = Array((lines.joined(separator: "\n") + "\n").utf8)
        let keys = try [keyTexts[0], keyTexts[1]].map { try FernetKey(base64: $0) }
        let file = try FernetImportFile(contentsOf: data, keys: keys, ttl: 3600, now: Self.now)

        #expect(file.entries.map(\.line) == [2, 4, 5, 14])
        #expect(file.entries.map(\.name) == ["db/password", "api-key", "crlf.value", "unicode"])
        #expect(file.entries.map { $0.value.unprotectedArray() }
            == [plaintexts[0], plaintexts[1], plaintexts[2], plaintexts[9]].map { Array($0.utf8) })

        let notOpened = "token does not authenticate with any of the 2 keys or is expired"
        #expect(file.failures.map(\.line) == [6, 7, 8, 9, 10, 11, 15])
        #expect(file.failures[0].reason == notOpened)
        #expect(file.failures[1].reason == notOpened)
        #expect(file.failures[2].reason == notOpened)
        #expect(file.failures[3].reason.contains("missing tab"))
        #expect(file.failures[4].reason.contains("invalid name"))
        #expect(file.failures[5].reason.contains("duplicate name") && file.failures[5].reason.contains("line 2"))
        #expect(file.failures[6].reason.contains("no token"))

        // No failure text carries a token (or a recognisable piece of one), a name or a plaintext.
        let texts = file.failures.flatMap { [$0.reason, $0.description, "\($0)"] }
        for text in texts {
            for token in tokens {
                #expect(!text.contains(String(token.prefix(12))))
                #expect(!text.contains(String(token.suffix(12))))
            }
            for plaintext in plaintexts { #expect(!text.contains(plaintext)) }
            for name in ["stale-entry", "tampered", "foreign", "missing-tab", "bad name", "db/password"] {
                #expect(!text.contains(name))
            }
        }

        // Without a TTL the old token opens too; the rest of the outcome is the same.
        let noTTL = try FernetImportFile(contentsOf: data, keys: keys, ttl: nil, now: Self.now)
        #expect(noTTL.entries.map(\.line) == [2, 4, 5, 6, 14])
        #expect(noTTL.failures.map(\.line) == [7, 8, 9, 10, 11, 15])
    }

    @Test("MultiFernet order: tokens open with whichever key made them; a missing key fails them")
    func keyOrder() throws {
        let keyTexts = [Self.keyText(), Self.keyText()]
        let tokens = try Self.pyca(keys: keyTexts, [
            TokenRequest(hex: Self.hex("new"), key: 0),
            TokenRequest(hex: Self.hex("old"), key: 1),
        ])
        let data = Array("a\t\(tokens[0])\nb\t\(tokens[1])".utf8)  // no final newline
        let new = try FernetKey(base64: keyTexts[0]), old = try FernetKey(base64: keyTexts[1])
        for keys in [[new, old], [old, new]] {
            let file = try FernetImportFile(contentsOf: data, keys: keys, ttl: 600, now: Date())
            #expect(file.entries.map(\.name) == ["a", "b"])
            #expect(file.entries.map { $0.value.unprotectedArray() } == [Array("new".utf8), Array("old".utf8)])
            #expect(file.failures.isEmpty)
        }
        let onlyNew = try FernetImportFile(contentsOf: data, keys: [new], ttl: nil, now: Date())
        #expect(onlyNew.entries.map(\.line) == [1])
        #expect(onlyNew.failures == [FernetImportFile.Failure(
            line: 2, reason: "token does not authenticate with any of the 1 key or is expired")])
        let onlyOld = try FernetImportFile(contentsOf: data, keys: [old], ttl: nil, now: Date())
        #expect(onlyOld.entries.map(\.line) == [2])
        #expect(onlyOld.failures.map(\.line) == [1])
    }

    @Test("CRLF throughout, a byte order mark, comments and blank lines")
    func crlfAndBOM() throws {
        let keyText = Self.keyText()
        let tokens = try Self.pyca(keys: [keyText], [
            TokenRequest(hex: Self.hex("one"), key: 0), TokenRequest(hex: Self.hex("two"), key: 0),
        ])
        let text = "\u{FEFF}# header\r\n\r\nfirst\t\(tokens[0])\r\n# middle\r\nsecond\t\(tokens[1])\r\n\r\n"
        let file = try FernetImportFile(contentsOf: Array(text.utf8), keys: [try FernetKey(base64: keyText)], ttl: nil, now: Date())
        #expect(file.failures.isEmpty)
        #expect(file.entries.map(\.line) == [3, 5])
        #expect(file.entries.map(\.name) == ["first", "second"])
    }

    @Test("a token from the future beyond the clock skew fails under a TTL")
    func futureToken() throws {
        let keyText = Self.keyText()
        let tokens = try Self.pyca(keys: [keyText], [
            TokenRequest(hex: Self.hex("soon"), key: 0, at: Self.nowSeconds + 61),
            TokenRequest(hex: Self.hex("ok"), key: 0, at: Self.nowSeconds + 60),
        ])
        let data = Array("soon\t\(tokens[0])\nok\t\(tokens[1])\n".utf8)
        let file = try FernetImportFile(contentsOf: data, keys: [try FernetKey(base64: keyText)], ttl: 100, now: Self.now)
        #expect(file.failures.map(\.line) == [1])
        #expect(file.entries.map(\.line) == [2])
    }

    @Test("non-UTF-8 lines, empty values and name rules are reported per line")
    func otherBadLines() throws {
        let keyText = Self.keyText()
        let tokens = try Self.pyca(keys: [keyText], [
            TokenRequest(hex: "", key: 0), TokenRequest(hex: Self.hex("v"), key: 0), TokenRequest(hex: Self.hex("w"), key: 0),
            TokenRequest(hex: Self.hex("x"), key: 0),
        ])
        var data = Array("empty\t\(tokens[0])\n".utf8)                      // 1 empty value
        data += Array("caf".utf8) + [0xE9] + Array("\t\(tokens[1])\n".utf8)  // 2 Latin-1 byte
        data += Array("a//b\t\(tokens[2])\n".utf8)                           // 3 empty segment
        data += Array("\tjust-a-token\n".utf8)                               // 4 empty name
        data += Array("good\t\(tokens[3])\n".utf8)                           // 5 ok
        let file = try FernetImportFile(contentsOf: data, keys: [try FernetKey(base64: keyText)], ttl: nil, now: Date())
        #expect(file.entries.map(\.line) == [5])
        #expect(file.failures.map(\.line) == [1, 2, 3, 4])
        #expect(file.failures[0].reason.contains("empty value"))
        #expect(file.failures[1].reason.contains("UTF-8"))
        #expect(file.failures[2].reason.contains("invalid name") && file.failures[2].reason.contains("empty path segment"))
        #expect(file.failures[3].reason.contains("secret name is empty"))
        #expect(!file.failures[3].reason.contains("just-a-token"))
    }

    @Test("an empty file has no entries and no failures")
    func emptyFile() throws {
        let key = try FernetKey(base64: Self.keyText())
        for text in ["", "\n", "# only a comment\n", "\r\n\r\n"] {
            let file = try FernetImportFile(contentsOf: Array(text.utf8), keys: [key], ttl: nil, now: Date())
            #expect(file.entries.isEmpty && file.failures.isEmpty, "\(text.debugDescription)")
        }
    }

    @Test("no keys or a negative TTL is an invalidImport error")
    func callerMistakes() throws {
        let key = try FernetKey(base64: Self.keyText())
        #expect(throws: VaultError.invalidImport("no Fernet key given: pass at least one key to open the tokens with")) {
            _ = try FernetImportFile(contentsOf: [], keys: [], ttl: nil, now: Date())
        }
        #expect(throws: VaultError.invalidImport("the Fernet TTL must not be negative")) {
            _ = try FernetImportFile(contentsOf: [], keys: [key], ttl: -1, now: Date())
        }
    }
}
