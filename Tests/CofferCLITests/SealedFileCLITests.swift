import Foundation
import Testing

/// The `coffer seal` / `open` / `inspect` / `kek` commands, run as real processes.
@Suite struct SealedFileCLITests {
    let secret = Data("ghp_s3cr3t-\u{0}-binary\u{ff}".utf8) + Data([0x00, 0xFF, 0x0A])

    @Test func sealThenOpenReturnsExactBytes() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let sealed = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "github/token"], stdin: secret)
        #expect(sealed.status == 0, "stderr: \(sealed.stderr)")
        #expect(!sealed.stdoutText.isEmpty)
        let opened = try cli.run(["open", "--kek", kek], stdin: sealed.stdout)
        #expect(opened.status == 0, "stderr: \(opened.stderr)")
        #expect(opened.stdout == secret)
    }

    @Test func sealFromFileToFileCreates0600() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        try secret.write(to: URL(fileURLWithPath: cli.path("value")))
        let r = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "aws/key", "--file", cli.path("value"), "--out", cli.path("doc.json")])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: cli.path("doc.json"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // --out refuses to overwrite without --force
        let again = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "aws/key", "--file", cli.path("value"), "--out", cli.path("doc.json")])
        #expect(again.status == 65)
        #expect(again.stderr.contains("--force"))
        let opened = try cli.run(["open", "--kek", kek, "--in", cli.path("doc.json")])
        #expect(opened.stdout == secret)
    }

    @Test func wrongKEKFailsWithAuthenticationExitCode() throws {
        let cli = try CLIRunner()
        let kek1 = "file:" + (try cli.makeKeyFile("k1"))
        let kek2 = "file:" + (try cli.makeKeyFile("k2"))
        let sealed = try cli.run(["seal", "--kek", kek1, "-w", "acme", "-n", "tok"], stdin: secret)
        let opened = try cli.run(["open", "--kek", kek2], stdin: sealed.stdout)
        #expect(opened.status == 77)
        #expect(opened.stdout.isEmpty)
        #expect(opened.stderr.contains("authentication failed"))
    }

    /// Moving the ciphertext to another workspace, name or version, or altering any blob,
    /// must fail with exit 77 and print nothing on stdout.
    @Test(arguments: ["workspace", "name", "secretVersion", "dataKeyVersion", "ciphertext", "wrappedDataKey", "swapWrapped"])
    func tamperedDocumentFails(field: String) throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let a = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "tok"], stdin: secret)
        let b = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "tok"], stdin: Data("other".utf8))
        var doc = try #require(try JSONSerialization.jsonObject(with: a.stdout) as? [String: Any])
        let other = try #require(try JSONSerialization.jsonObject(with: b.stdout) as? [String: Any])
        switch field {
        case "workspace": doc["workspace"] = "globex"
        case "name": doc["name"] = "tok2"
        case "secretVersion": doc["secretVersion"] = 2
        case "dataKeyVersion": doc["dataKeyVersion"] = 2
        case "swapWrapped": doc["wrappedDataKey"] = other["wrappedDataKey"]
        default:
            let text = try #require(doc[field] as? String)
            var bytes = try #require(Data(base64Encoded: text))
            bytes[bytes.count - 1] ^= 0x01
            doc[field] = bytes.base64EncodedString()
        }
        let tampered = try JSONSerialization.data(withJSONObject: doc)
        let r = try cli.run(["open", "--kek", kek], stdin: tampered)
        #expect(r.status == 77, "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func keyFileReadableByOthersIsRefused() throws {
        let cli = try CLIRunner()
        let path = try cli.makeKeyFile(mode: 0o644)
        let r = try cli.run(["seal", "--kek", "file:" + path, "-w", "acme", "-n", "tok"], stdin: secret)
        #expect(r.status == 78)
        #expect(r.stderr.contains("chmod 600"))
        #expect(r.stdout.isEmpty)
    }

    @Test func missingKEKConfigurationIsExplained() throws {
        let cli = try CLIRunner()
        let r = try cli.run(["seal", "-w", "acme", "-n", "tok"], stdin: secret)
        #expect(r.status == 78)
        #expect(r.stderr.contains("COFFER_KEK"))
    }

    @Test(arguments: [["-w", "Acme", "-n", "tok"], ["-w", "acme", "-n", "a//b"], ["-w", "", "-n", "tok"], ["-w", "acme", "-n", "../x"]])
    func invalidNamesAreUsageErrors(args: [String]) throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let r = try cli.run(["seal", "--kek", kek] + args, stdin: secret)
        #expect(r.status == 64, "stderr: \(r.stderr)")
    }

    @Test func emptyAndOversizedValuesAreRefused() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let empty = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "tok"], stdin: Data())
        #expect(empty.status == 65)
        #expect(empty.stderr.contains("empty"))
        let big = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "tok"], stdin: Data(count: (1 << 20) + 1))
        #expect(big.status == 65)
        #expect(big.stderr.contains("1048576"))
        #expect(big.stdout.isEmpty)
    }

    @Test func envKEKWorksAndErrorsNameTheVariableNotTheValue() throws {
        let cli = try CLIRunner()
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let sealed = try cli.run(["seal", "--kek", "env:MY_KEK", "-w", "acme", "-n", "tok"], stdin: secret, environment: ["MY_KEK": key])
        #expect(sealed.status == 0, "stderr: \(sealed.stderr)")
        let opened = try cli.run(["open", "--kek", "env:MY_KEK"], stdin: sealed.stdout, environment: ["MY_KEK": key])
        #expect(opened.stdout == secret)
        let bad = try cli.run(["open", "--kek", "env:MY_KEK"], stdin: sealed.stdout, environment: ["MY_KEK": "bm90LWEta2V5"])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("MY_KEK"))
        #expect(!bad.stderr.contains("bm90LWEta2V5"))
    }

    @Test func inspectShowsHeaderButNeverTheValue() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let marker = Data("PLAINTEXT-MARKER-7731".utf8)
        let sealed = try cli.run(["seal", "--kek", kek, "-w", "acme", "-n", "tok", "--version", "3"], stdin: marker)
        #expect(!sealed.stdoutText.contains("PLAINTEXT-MARKER"))
        let r = try cli.run(["inspect", "--json"], stdin: sealed.stdout)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: String])
        #expect(info["workspace"] == "acme")
        #expect(info["secretVersion"] == "3")
        #expect(info["algorithm"] == "AES-256-GCM")
        #expect(info["plaintextBytes"] == "\(marker.count)")
        #expect(!r.stdoutText.contains("PLAINTEXT-MARKER"))
    }

    @Test func garbageDocumentIsInvalidInput() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let r = try cli.run(["open", "--kek", kek], stdin: Data("{\"hello\": 1}".utf8))
        #expect(r.status == 65)
        #expect(r.stderr.contains("coffer-sealed-file"))
    }

    @Test func kekGenerateCreates0600AndNeverOverwrites() throws {
        let cli = try CLIRunner()
        let p = cli.path("new.kek")
        let r = try cli.run(["kek", "generate", p])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: p))
        let again = try cli.run(["kek", "generate", p])
        #expect(again.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: p)) == before)
        let id1 = try cli.run(["kek", "id", "--kek", "file:" + p])
        let id2 = try cli.run(["kek", "id", "--kek", "file:" + p])
        #expect(id1.status == 0)
        #expect(id1.stdout == id2.stdout)
        #expect(!id1.stdoutText.contains(String(decoding: before, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
