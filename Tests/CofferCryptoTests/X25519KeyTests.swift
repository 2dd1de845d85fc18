import Foundation
import Testing
@testable import CofferCrypto

/// X25519 recipient keys: generation, the text forms, the secret key file rules (0600,
/// exclusive creation, refusal of readable files) and redaction.
@Suite("X25519 keys")
struct X25519KeyTests {
    @Test("a generated pair's public key is derived from its secret key and differs between pairs")
    func generate() throws {
        let a = try X25519KeyPair.generate()
        let b = try X25519KeyPair.generate()
        #expect(a.publicKey.bytes.count == 32)
        #expect(a.publicKey != b.publicKey)
        #expect(a.secretKey.count == 32)
        // Deriving again from the secret key gives the same public key.
        let again = try X25519KeyPair(secretKey: a.secretKey)
        #expect(again.publicKey == a.publicKey)
        #expect(a.publicKey.fingerprint.count == 16)
        #expect(a.publicKey.fingerprint != b.publicKey.fingerprint)
    }

    @Test("public key text round trip, with surrounding whitespace")
    func publicText() throws {
        let key = try X25519KeyPair.generate().publicKey
        #expect(key.text.hasPrefix("coffer-x25519-public:"))
        #expect(key.text.count == "coffer-x25519-public:".count + 44)
        #expect(try X25519PublicKey(text: key.text) == key)
        #expect(try X25519PublicKey(text: "  " + key.text + "\n") == key)
        #expect(try X25519PublicKey(bytes: key.bytes) == key)
    }

    @Test("malformed public keys are refused with invalidKey", arguments: [
        "", "coffer-x25519-public:", "coffer-x25519-public:AAAA",
        "x25519:" + String(repeating: "A", count: 43) + "=",
        "coffer-x25519-public:" + String(repeating: "A", count: 42) + "==",  // 31 bytes
        "coffer-x25519-public:" + String(repeating: "A", count: 44) + "AAAA",  // 36 bytes
        "coffer-x25519-public:" + String(repeating: "*", count: 43) + "=",
    ])
    func badPublicText(_ text: String) {
        let error = TestSupport.cofferError { _ = try X25519PublicKey(text: text) }
        guard case .invalidKey = error else {
            Issue.record("expected invalidKey, got \(String(describing: error))")
            return
        }
    }

    @Test("public key bytes of the wrong length are refused")
    func badPublicBytes() {
        for n in [0, 31, 33, 64] {
            guard case .invalidKey = TestSupport.cofferError({ _ = try X25519PublicKey(bytes: [UInt8](repeating: 1, count: n)) }) else {
                Issue.record("length \(n) accepted")
                continue
            }
        }
    }

    @Test("a secret key given as a public key is refused with a hint")
    func secretAsPublic() throws {
        let dir = try TemporaryDirectory()
        let pair = try X25519KeyPair.generate()
        try pair.write(secretKeyTo: dir.file("id"))
        let text = try String(contentsOfFile: dir.file("id"), encoding: .utf8)
        let error = TestSupport.cofferError { _ = try X25519PublicKey(text: text) }
        #expect(error?.description.contains("secret key") == true)
        #expect(error?.description.contains(String(text.dropFirst("coffer-x25519-secret:".count).prefix(20))) == false)
    }

    @Test("the secret key file is created 0600, holds one line and loads back to the same pair")
    func secretFileRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let pair = try X25519KeyPair.generate()
        let path = dir.file("identity")
        try pair.write(secretKeyTo: path)
        #expect(try dir.mode("identity") == 0o600)
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(content.count == "coffer-x25519-secret:".count + 44 + 1)
        #expect(content.starts(with: Array("coffer-x25519-secret:".utf8)))
        #expect(content.last == UInt8(ascii: "\n"))
        let loaded = try X25519KeyPair.load(secretKeyFile: path)
        #expect(loaded.publicKey == pair.publicKey)
        #expect(loaded.secretKey == pair.secretKey)
    }

    @Test("the secret key file is 0600 even under a permissive umask")
    func secretFileUmask() throws {
        let dir = try TemporaryDirectory()
        let old = umask(0)
        defer { umask(old) }
        try X25519KeyPair.generate().write(secretKeyTo: dir.file("identity"))
        #expect(try dir.mode("identity") == 0o600)
    }

    @Test("an existing file is never overwritten")
    func refuseOverwrite() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("identity", Array("keep me\n".utf8), mode: 0o600)
        let error = TestSupport.cofferError { try X25519KeyPair.generate().write(secretKeyTo: path) }
        guard case .invalidKey(let why) = error else {
            Issue.record("expected invalidKey, got \(String(describing: error))")
            return
        }
        #expect(why.contains("refusing to overwrite"))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == Array("keep me\n".utf8))
    }

    @Test("writing into a missing directory says so")
    func missingDirectory() throws {
        let dir = try TemporaryDirectory()
        let error = TestSupport.cofferError { try X25519KeyPair.generate().write(secretKeyTo: dir.file("nope/identity")) }
        #expect(error?.description.contains("directory does not exist") == true)
    }

    @Test("a secret key file readable or writable by others is refused with a chmod hint", arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o610])
    func refuseOpenModes(_ mode: Int) throws {
        let dir = try TemporaryDirectory()
        let pair = try X25519KeyPair.generate()
        let path = dir.file("identity")
        try pair.write(secretKeyTo: path)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        let error = TestSupport.cofferError { _ = try X25519KeyPair.load(secretKeyFile: path) }
        guard case .invalidKey(let why) = error else {
            Issue.record("mode \(String(mode, radix: 8)) accepted or wrong error: \(String(describing: error))")
            return
        }
        #expect(why.contains("chmod 600 \(path)"))
        #expect(why.contains("has mode 0\(String(mode, radix: 8))"))
        // 0400 is fine.
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(try X25519KeyPair.load(secretKeyFile: path).publicKey == pair.publicKey)
    }

    @Test("missing, non-regular and malformed secret key files are refused without echoing content")
    func badSecretFiles() throws {
        let dir = try TemporaryDirectory()
        #expect(TestSupport.cofferError { _ = try X25519KeyPair.load(secretKeyFile: dir.file("missing")) }?
            .description.contains("does not exist") == true)
        #expect(TestSupport.cofferError { _ = try X25519KeyPair.load(secretKeyFile: dir.path) }?
            .description.contains("not a regular file") == true)
        let public1 = try X25519KeyPair.generate().publicKey.text
        let bad: [String] = [
            "", "\n", "coffer-x25519-secret:", "coffer-x25519-secret:SECRETSECRETSECRET",
            "coffer-x25519-secret:" + String(repeating: "Q", count: 42) + "==",  // 31 bytes
            "coffer-x25519-secret:" + String(repeating: "Q", count: 44) + "QQQQ",  // 36 bytes
            "coffer-x25519-secret:" + String(repeating: "Q", count: 43) + "= trailing",
            public1,
            String(repeating: "Z", count: 600),  // too large
        ]
        for (i, text) in bad.enumerated() {
            let path = try dir.write("bad\(i)", Array(text.utf8), mode: 0o600)
            let error = TestSupport.cofferError { _ = try X25519KeyPair.load(secretKeyFile: path) }
            guard case .invalidKey(let why) = error else {
                Issue.record("case \(i): expected invalidKey, got \(String(describing: error))")
                continue
            }
            #expect(!why.contains("SECRETSECRET"), "case \(i)")
            #expect(!why.contains("QQQQ"), "case \(i)")
            #expect(!why.contains("ZZZZ"), "case \(i)")
        }
    }

    @Test("whitespace and CRLF around the secret line are tolerated")
    func secretWhitespace() throws {
        let dir = try TemporaryDirectory()
        let pair = try X25519KeyPair.generate()
        try pair.write(secretKeyTo: dir.file("identity"))
        let line = try String(contentsOfFile: dir.file("identity"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let path = try dir.write("spaced", Array(("  " + line + "\r\n\n").utf8), mode: 0o600)
        #expect(try X25519KeyPair.load(secretKeyFile: path).publicKey == pair.publicKey)
    }

    @Test("a public key file reads back; a bad one names the path")
    func publicFile() throws {
        let dir = try TemporaryDirectory()
        let key = try X25519KeyPair.generate().publicKey
        let path = try dir.write("id.pub", Array((key.text + "\n").utf8), mode: 0o644)
        #expect(try X25519PublicKey(contentsOfFile: path) == key)
        let bad = try dir.write("bad.pub", Array("hello".utf8), mode: 0o644)
        #expect(TestSupport.cofferError { _ = try X25519PublicKey(contentsOfFile: bad) }?.description.contains(bad) == true)
        #expect(TestSupport.cofferError { _ = try X25519PublicKey(contentsOfFile: dir.file("none")) }?
            .description.contains("does not exist") == true)
    }

    @Test("the secret key never appears in description, debugDescription or interpolation")
    func redaction() throws {
        let dir = try TemporaryDirectory()
        let pair = try X25519KeyPair.generate()
        try pair.write(secretKeyTo: dir.file("identity"))
        let line = try String(contentsOfFile: dir.file("identity"), encoding: .utf8)
        let secretBase64 = String(line.dropFirst("coffer-x25519-secret:".count).prefix(43))
        let secretHex = pair.secretKey.withUnsafeBytes { Array($0) }.hex
        for text in [pair.description, pair.debugDescription, "\(pair)", String(reflecting: pair), pair.secretKey.description] {
            #expect(!text.contains(secretBase64))
            #expect(!text.contains(secretHex))
            #expect(!text.contains(String(secretBase64.prefix(12))))
        }
        #expect(pair.description.contains(pair.publicKey.fingerprint))
        #expect(pair.description.contains("redacted"))
    }
}
