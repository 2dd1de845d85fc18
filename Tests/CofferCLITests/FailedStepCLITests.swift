import CofferCrypto
import CofferTestSupport
import Foundation
import Testing

/// A failed step changes nothing: output destinations are checked before an irreversible step,
/// a failed import leaves no workspace behind, and `--out LINK --force` replaces the link.
@Suite struct FailedStepCLITests {
    typealias Env = VaultCLITests.Env

    static func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    // MARK: Output destinations before irreversible steps

    @Test func shredWithAReceiptThatCannotBeWrittenShredsNothing() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "db/password"], stdin: Data("keep-me".utf8)).status == 0)
        let existing = e.cli.path("receipt.json")
        try Data("an older receipt\n".utf8).write(to: URL(fileURLWithPath: existing))
        let before = try e.storeBytes()
        for receipt in [existing, e.cli.path("no-such-dir/receipt.json")] {
            let r = try e.run(["workspace", "shred"], ["acme", "--now", "--confirm", "acme", "--receipt", receipt])
            #expect(r.status == 65, "stderr: \(r.stderr)")
            #expect(!r.stderr.contains("--force"), "shred has no --force: \(r.stderr)")
            #expect(try e.storeBytes() == before, "nothing may be shredded")
        }
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "an older receipt\n")
        #expect(try e.run(["get"], ["acme", "db/password"]).stdoutText == "keep-me")

        // A writable destination: shredded, and the same receipt in the file and on stdout.
        let fresh = e.cli.path("fresh-receipt.json")
        let ok = try e.run(["workspace", "shred"], ["acme", "--now", "--confirm", "acme", "--receipt", fresh])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fresh)) == ok.stdout)
        #expect(try Self.mode(fresh) == 0o600)
    }

    @Test func exportAndKeygenCheckTheirDestinationsFirst() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "db/password"], stdin: Data("v".utf8)).status == 0)
        let taken = e.cli.path("taken")
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: taken))
        let export = try e.run(["export"], ["acme", "--plaintext", "--out", taken])
        #expect(export.status == 65, "stderr: \(export.stderr)")
        #expect(!export.stderr.contains("--force"), "export has no --force: \(export.stderr)")
        #expect(try String(contentsOfFile: taken, encoding: .utf8) == "mine\n")

        // keygen: an existing FILE.pub is refused before the secret key is written.
        let key = e.cli.path("recipient.key")
        try Data("someone's public key\n".utf8).write(to: URL(fileURLWithPath: key + ".pub"))
        let keygen = try e.cli.run(["keygen", "--out", key])
        #expect(keygen.status == 65, "stderr: \(keygen.stderr)")
        #expect(!keygen.stderr.contains("--force"), "keygen has no --force: \(keygen.stderr)")
        #expect(!FileManager.default.fileExists(atPath: key))
        #expect(try String(contentsOfFile: key + ".pub", encoding: .utf8) == "someone's public key\n")
    }

    // MARK: --out LINK --force

    @Test func sealAndOpenReplaceASymlinkInsteadOfFollowingIt() throws {
        let e = try Env()
        let target = e.cli.path("target")
        try Data("the link's target\n".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: target)
        let sealed = e.cli.path("sealed.link")
        let opened = e.cli.path("opened.link")
        for link in [sealed, opened] {
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        }
        let location = ["-w", "acme", "-n", "token"]
        // Without --force the link counts as an existing file.
        let refused = try e.cli.run(["seal", "--kek", e.kek, "--out", sealed] + location, stdin: Data("s3cr3t".utf8))
        #expect(refused.status == 65, "stderr: \(refused.stderr)")

        let seal = try e.cli.run(["seal", "--kek", e.kek, "--out", sealed, "--force"] + location, stdin: Data("s3cr3t".utf8))
        #expect(seal.status == 0, "stderr: \(seal.stderr)")
        let open = try e.cli.run(["open", "--kek", e.kek, "--in", sealed, "--out", opened, "--force"])
        #expect(open.status == 0, "stderr: \(open.stderr)")
        #expect(try String(contentsOfFile: opened, encoding: .utf8) == "s3cr3t")
        for link in [sealed, opened] {
            let type = try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType
            #expect(type == .typeRegular, "\(link) was replaced by a file")
            #expect(try Self.mode(link) == 0o600)
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "the link's target\n")
        #expect(try Self.mode(target) == 0o644)
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: e.cli.dir.path).filter { $0.contains(".coffer-") }.isEmpty)
    }

    // MARK: A failed import writes nothing

    /// A plaintext export of a workspace with one secret whose name is then made invalid:
    /// well-formed, but it fails validation.
    static func invalidExport(_ e: Env) throws -> Data {
        #expect(try e.run(["workspace", "create"], ["src"]).status == 0)
        #expect(try e.run(["put"], ["src", "good-name"], stdin: Data("import-value".utf8)).status == 0)
        let r = try e.run(["export"], ["src", "--plaintext"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let text = r.stdoutText.replacingOccurrences(of: "good-name", with: "bad name!")
        #expect(text != r.stdoutText)
        return Data(text.utf8)
    }

    static func expectNothingImported(_ e: Env, _ r: CLIRunner.Result, before: [String], _ label: String) throws {
        #expect(r.status != 0, "\(label)")
        #expect(try e.storeBytes() == before, "\(label): the failed import changed the store: \(r.stderr)")
        #expect(try e.run(["workspace", "show"], ["beta"]).status == 66, "\(label): the workspace was created")
    }

    @Test func aFailedImportOfEveryFormatLeavesNoWorkspace() throws {
        let e = try Env().initialised(workspaces: [])
        let json = try Self.invalidExport(e)
        let before = try e.storeBytes()

        // JSON
        let jsonFile = e.cli.path("bad.json")
        try json.write(to: URL(fileURLWithPath: jsonFile))
        try Self.expectNothingImported(e, try e.run(["import"], ["beta", "--file", jsonFile]), before: before, "json")

        // X25519 bundle
        let key = e.cli.path("recipient.key")
        #expect(try e.cli.run(["keygen", "--out", key]).status == 0)
        let recipient = try X25519PublicKey(contentsOfFile: key + ".pub")
        let bundle = e.cli.path("bad.bundle")
        try Data(try ExportBundle.seal(SecretBytes(Array(json)), to: recipient)).write(to: URL(fileURLWithPath: bundle))
        try Self.expectNothingImported(
            e, try e.run(["import"], ["beta", "--format", "bundle", "--identity", key, "--file", bundle]), before: before, "x25519 bundle")

        // Passphrase bundle
        let passphrase = "correct horse battery staple"
        let pbundle = e.cli.path("bad.pbundle")
        try Data(try ExportBundle.seal(SecretBytes(Array(json)), passphrase: SecretBytes(Array(passphrase.utf8)), cost: .interactive))
            .write(to: URL(fileURLWithPath: pbundle))
        try Self.expectNothingImported(
            e, try e.run(["import"], ["beta", "--format", "bundle", "--file", pbundle], env: ["COFFER_BUNDLE_PASSPHRASE": passphrase]),
            before: before, "passphrase bundle")

        // Fernet: every line opens, but one value is over the vault's size limit.
        let fernetKey = PycaFernet.keyText()
        let keyFile = e.cli.path("fernet.key")
        try (fernetKey + "\n").write(toFile: keyFile, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let tokens = try PycaFernet.run(keys: [fernetKey], tokens: [
            PycaFernet.Token(text: "fine", key: 0, at: nil),
            PycaFernet.Token(text: String(repeating: "a", count: (1 << 20) + 1), key: 0, at: nil),
        ]).tokens
        let tsv = e.cli.path("bad.tsv")
        try "small\t\(tokens[0])\nhuge\t\(tokens[1])\n".write(toFile: tsv, atomically: false, encoding: .utf8)
        try Self.expectNothingImported(
            e, try e.run(["import"], ["beta", "--format", "fernet", "--fernet-key-file", keyFile, "--file", tsv]),
            before: before, "fernet")
    }
}
