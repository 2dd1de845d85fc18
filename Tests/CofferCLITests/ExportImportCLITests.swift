import Foundation
import CofferTestSupport
import Testing

/// `coffer export` / `coffer import` / `coffer keygen` as real processes between two SQLite
/// vaults under different KEKs: plaintext JSON, X25519 and passphrase bundles (damaged bundles
/// write nothing), and Fernet tokens made by pyca.
@Suite struct ExportImportCLITests {
    typealias Env = VaultCLITests.Env

    static let binary = Data([0x00, 0xFF, 0x10, 0x80, 0x0A, 0x0D, 0xC3, 0x28]) + Data("bin-secret-5e2".utf8)
    static let oauth = #"{"access_token":"at-export-1","refresh_token":"rt-export-1","token_type":"Bearer","scope":"repo","expires_in":3600}"#
    static let cloud = #"{"access_key_id":"AKIAEXPORT","secret_access_key":"cloud-secret-export","session_token":"st-export"}"#
    static let webhook = #"{"secret":"whsec-export-1","algorithm":"hmac-sha256"}"#

    /// A source vault with workspace `acme` holding a binary value, a labelled text value with
    /// expiry and content type, and the three typed kinds.
    static func source() throws -> Env {
        let e = try Env().initialised()
        let puts: [([String], Data)] = [
            (["acme", "bin/blob"], binary),
            (["acme", "github/token", "--label", "env=prod", "--label", "team=core", "--expires-at", "2031-02-03T04:05:06Z",
              "--content-type", "text/plain"], Data("ghp-export-token".utf8)),
            (["acme", "google/oauth", "--kind", "oauth-token"], Data(oauth.utf8)),
            (["acme", "aws/prod", "--kind", "cloud-credentials", "--label", "cloud=aws"], Data(cloud.utf8)),
            (["acme", "stripe/webhook", "--kind", "webhook-secret"], Data(webhook.utf8)),
        ]
        for (args, value) in puts {
            let r = try e.run(["put"], args, stdin: value)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        // An older version and a deleted secret are not exported.
        #expect(try e.run(["put"], ["acme", "github/token", "--label", "env=prod", "--label", "team=core",
                                     "--expires-at", "2031-02-03T04:05:06Z", "--content-type", "text/plain"],
                           stdin: Data("ghp-export-token-v2".utf8)).status == 0)
        #expect(try e.run(["put"], ["acme", "old/thing"], stdin: Data("deleted".utf8)).status == 0)
        #expect(try e.run(["delete"], ["acme", "old/thing"]).status == 0)
        return e
    }

    static let names = ["aws/prod", "bin/blob", "github/token", "google/oauth", "stripe/webhook"]

    /// name → (kind, labels, expiresAt, contentType) from `coffer list --json`.
    static func metadata(_ e: Env, _ workspace: String) throws -> [String: String] {
        let r = try e.run(["list"], [workspace, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
        var out: [String: String] = [:]
        for s in all {
            let name = try #require(s["name"] as? String)
            let m = try #require(s["metadata"] as? [String: Any])
            let labels = (m["labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            out[name] = "\(m["kind"] ?? "-")|\(labels)|\(m["expiresAt"] ?? "-")|\(m["contentType"] ?? "-")"
        }
        return out
    }

    /// Every value of `names` in `workspace`, read with `coffer get`.
    static func values(_ e: Env, _ workspace: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in names {
            let r = try e.run(["get"], [workspace, name])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            out[name] = r.stdout
        }
        return out
    }

    static func expectSameSecrets(_ source: Env, _ target: Env, _ targetWorkspace: String) throws {
        let want = try values(source, "acme")
        #expect(want["bin/blob"] == binary)
        #expect(try values(target, targetWorkspace) == want)
        let meta = try metadata(source, "acme").filter { names.contains($0.key) }
        #expect(meta.count == names.count)
        #expect(meta["github/token"]?.contains("2031-02-03T04:05:06") == true)
        #expect(meta["aws/prod"]?.hasPrefix("cloud-credentials|") == true)
        #expect(try metadata(target, targetWorkspace) == meta, "the same secrets (a deleted one is not exported), the same metadata")
    }

    @Test func plaintextJSONRoundTripConflictAndOverwrite() throws {
        let src = try Self.source()
        let refused = try src.run(["export"], ["acme", "--format", "json"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--plaintext"))
        #expect(refused.stdout.isEmpty)
        let refusedDefault = try src.run(["export"], ["acme"])
        #expect(refusedDefault.status == 64)

        let export = try src.run(["export"], ["acme", "--format", "json", "--plaintext"])
        #expect(export.status == 0, "stderr: \(export.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: export.stdout) as? [String: Any])
        let secrets = try #require(doc["secrets"] as? [[String: Any]])
        #expect(secrets.compactMap { $0["name"] as? String }.sorted() == Self.names)
        #expect(secrets.first { $0["name"] as? String == "bin/blob" }?["valueBase64"] as? String == Self.binary.base64EncodedString())
        #expect(secrets.first { $0["name"] as? String == "github/token" }?["value"] as? String == "ghp-export-token-v2")
        let file = src.cli.path("acme.json")
        let toFile = try src.run(["export"], ["acme", "--format", "json", "--plaintext", "--out", file])
        #expect(toFile.status == 0, "stderr: \(toFile.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        #expect(try src.run(["export"], ["acme", "--format", "json", "--plaintext", "--out", file]).status != 0, "never overwrites")

        let dst = try Env().initialised(workspaces: ["other"])
        let imported = try dst.run(["import"], ["target", "--file", file, "--json"])
        #expect(imported.status == 0, "stderr: \(imported.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: imported.stdout) as? [String: Any])
        #expect((report["written"] as? [Any])?.count == Self.names.count)
        try Self.expectSameSecrets(src, dst, "target")

        // Again without --overwrite: a conflict, and nothing is written.
        let before = try dst.storeBytes()
        let again = try dst.run(["import"], ["target", "--file", file])
        #expect(again.status == 75, "stderr: \(again.stderr)")
        let afterConflict = try dst.storeBytes()
        #expect(afterConflict.filter { !$0.hasPrefix("audit_") } == before.filter { !$0.hasPrefix("audit_") })
        // From stdin with --overwrite: a new version of each.
        let overwrite = try dst.run(["import"], ["target", "--overwrite"], stdin: export.stdout)
        #expect(overwrite.status == 0, "stderr: \(overwrite.stderr)")
        for name in Self.names {
            let h = try dst.run(["history"], ["target", name, "--json"])
            let versions = (try JSONSerialization.jsonObject(with: h.stdout) as? [[String: Any]])?.compactMap { $0["version"] as? Int }
            #expect(versions?.sorted() == [1, 2], "\(name)")
        }
        try Self.expectSameSecrets(src, dst, "target")

        // A malformed document writes nothing.
        let bad = try dst.run(["import"], ["fresh", "--file", src.cli.path("nope.json")])
        #expect(bad.status == 66)
        let garbage = try dst.run(["import"], ["fresh"], stdin: Data(#"{"secrets": [{"name": "x"}]}"#.utf8))
        #expect(garbage.status == 65, "stderr: \(garbage.stderr)")
        #expect(try dst.run(["list"], ["fresh", "--json"]).stdoutText.contains("\"name\"") == false)
    }

    @Test func keygenAndX25519BundleRoundTrip() throws {
        let src = try Self.source()
        let dst = try Env().initialised(workspaces: [])
        let key = dst.cli.path("recipient.key")
        let keygen = try dst.cli.run(["keygen", "--out", key])
        #expect(keygen.status == 0, "stderr: \(keygen.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        let pub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        #expect(keygen.stdoutText == pub)
        let secretBefore = try Data(contentsOf: URL(fileURLWithPath: key))
        #expect(!pub.isEmpty && !secretBefore.isEmpty)
        let twice = try dst.cli.run(["keygen", "--out", key])
        #expect(twice.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == secretBefore)
        #expect(try String(contentsOfFile: key + ".pub", encoding: .utf8) == pub)

        let bundle = src.cli.path("acme.bundle")
        let export = try src.run(["export"], ["acme", "--to", key + ".pub", "--out", bundle])
        #expect(export.status == 0, "stderr: \(export.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        #expect(bytes.range(of: Data("ghp-export-token".utf8)) == nil)
        #expect(try FileManager.default.attributesOfItem(atPath: bundle)[.posixPermissions] as? Int == 0o600)

        let imported = try dst.run(["import"], ["acme2", "--format", "bundle", "--identity", key, "--file", bundle])
        #expect(imported.status == 0, "stderr: \(imported.stderr)")
        try Self.expectSameSecrets(src, dst, "acme2")

        // Another recipient's key does not open it.
        let otherKey = dst.cli.path("other.key")
        #expect(try dst.cli.run(["keygen", "--out", otherKey]).status == 0)
        let wrong = try dst.run(["import"], ["wrongkey", "--format", "bundle", "--identity", otherKey, "--file", bundle])
        #expect(wrong.status == 77, "stderr: \(wrong.stderr)")
        try Self.expectNoSecrets(dst, "wrongkey")

        // Damaged bundles: authentication failed, nothing imported.
        var flipped = bytes
        flipped[flipped.count / 2] ^= 0x01
        var truncated = bytes
        truncated.removeLast(7)
        for (label, damaged) in [("flipped", flipped), ("truncated", truncated)] {
            let path = dst.cli.path("\(label).bundle")
            try damaged.write(to: URL(fileURLWithPath: path))
            let r = try dst.run(["import"], ["damaged", "--format", "bundle", "--identity", key, "--file", path])
            #expect(r.status == 77, "\(label): \(r.stderr)")
            #expect(!r.stderr.contains("ghp-export"))
            try Self.expectNoSecrets(dst, "damaged")
        }
    }

    @Test func passphraseBundleRoundTrip() throws {
        let src = try Self.source()
        let dst = try Env().initialised(workspaces: [])
        let bundle = src.cli.path("acme.pbundle")
        let noPass = try src.run(["export"], ["acme", "--passphrase", "--out", bundle])
        #expect(noPass.status == 64, "stderr: \(noPass.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bundle))
        let passphrase = ["COFFER_BUNDLE_PASSPHRASE": "correct horse battery staple"]
        let export = try src.run(["export"], ["acme", "--passphrase", "--out", bundle], env: passphrase)
        #expect(export.status == 0, "stderr: \(export.stderr)")
        let wrong = try dst.run(["import"], ["acme", "--format", "bundle", "--file", bundle],
                                env: ["COFFER_BUNDLE_PASSPHRASE": "wrong horse"])
        #expect(wrong.status == 77, "stderr: \(wrong.stderr)")
        try Self.expectNoSecrets(dst, "acme")
        let imported = try dst.run(["import"], ["acme", "--format", "bundle", "--file", bundle], env: passphrase)
        #expect(imported.status == 0, "stderr: \(imported.stderr)")
        try Self.expectSameSecrets(src, dst, "acme")
    }

    /// A refused import wrote nothing: the workspace was not even created.
    static func expectNoSecrets(_ e: Env, _ workspace: String) throws {
        let list = try e.run(["list"], [workspace, "--json"])
        #expect(list.status == 66, "\(workspace): \(list.stdoutText) \(list.stderr)")
        #expect(!(try e.storeBytes()).contains { $0.hasPrefix("secret_versions:") && $0.contains("\"\(workspace)\"") })
    }

    // MARK: Fernet

    /// Makes Fernet tokens with pyca: `[(key index, plaintext, at?)]` → tokens.
    static func pyca(keys: [String], _ requests: [(Int, String, Int64?)]) throws -> [String] {
        try PycaFernet.run(keys: keys, tokens: requests.map { PycaFernet.Token(text: $0.1, key: $0.0, at: $0.2) }).tokens
    }

    static func fernetKey() -> String { PycaFernet.keyText() }

    struct FernetSetup {
        let e: Env
        let newKey: String
        let oldKey: String
        let keyTexts: [String]

        init() throws {
            e = try Env().initialised(workspaces: [])
            keyTexts = [ExportImportCLITests.fernetKey(), ExportImportCLITests.fernetKey()]
            newKey = e.cli.path("fernet-new.key")
            oldKey = e.cli.path("fernet-old.key")
            for (path, text) in zip([newKey, oldKey], keyTexts) {
                try (text + "\n").write(toFile: path, atomically: false, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
        }

        func file(_ name: String, _ text: String) throws -> String {
            let path = e.cli.path(name)
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            return path
        }

        func importing(_ workspace: String, _ file: String, _ extra: [String] = []) throws -> CLIRunner.Result {
            try e.run(["import"], [workspace, "--format", "fernet", "--fernet-key-file", newKey, "--fernet-key-file", oldKey,
                                   "--file", file] + extra)
        }
    }

    @Test func fernetTokensUnderTwoKeysImport() throws {
        let s = try FernetSetup()
        let plain = ["fernet-db-password", "fernet-api-key", "fernet-third"]
        let t = try Self.pyca(keys: s.keyTexts, [(0, plain[0], nil), (1, plain[1], nil), (1, plain[2], nil)])
        let file = try s.file("tokens.tsv", "# legacy export\n\ndb/password\t\(t[0])\n# another comment\napi/key\t\(t[1])\n\nthird\t\(t[2])\n")
        let r = try s.importing("legacy", file)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("imported 3 secret(s)"))
        for (name, value) in zip(["db/password", "api/key", "third"], plain) {
            let get = try s.e.run(["get"], ["legacy", name])
            #expect(get.stdoutText == value, "\(name): \(get.stderr)")
        }
        let meta = try Self.metadata(s.e, "legacy")
        #expect(meta["api/key"]?.contains("imported-from=fernet") == true)
        // Only the new key: the tokens under the old one do not open, nothing is written.
        let onlyNew = try s.e.run(["import"], ["newonly", "--format", "fernet", "--fernet-key-file", s.newKey, "--file", file])
        #expect(onlyNew.status == 65, "stderr: \(onlyNew.stderr)")
        #expect(onlyNew.stderr.contains("line 5") && onlyNew.stderr.contains("line 7"))
        try Self.expectNoSecrets(s.e, "newonly")
    }

    @Test func fernetInvalidLinesAreReportedAndSkippedOnlyOnRequest() throws {
        let s = try FernetSetup()
        let t = try Self.pyca(keys: s.keyTexts, [(0, "good-one", nil), (1, "tampered-one", nil), (0, "good-two", nil)])
        var tampered = Array(t[1])
        let i = tampered.count / 2
        tampered[i] = tampered[i] == "A" ? "B" : "A"
        let text = "# header\ngood/one\t\(t[0])\nbad/token\t\(String(tampered))\nmissing-tab \(t[2])\ngood/two\t\(t[2])\n"
        let file = try s.file("mixed.tsv", text)
        let before = try s.e.storeBytes()
        let r = try s.importing("mixed", file)
        #expect(r.status == 65, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("line 3"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("line 4"), "stderr: \(r.stderr)")
        #expect(!r.stderr.contains("line 2") && !r.stderr.contains("line 5"))
        for secret in ["good-one", "tampered-one", "good-two", t[0], t[1]] { #expect(!r.stderr.contains(secret)) }
        try Self.expectNoSecrets(s.e, "mixed")
        #expect(try s.e.storeBytes().filter { !$0.hasPrefix("audit_") && !$0.hasPrefix("workspaces:") }
                == before.filter { !$0.hasPrefix("audit_") && !$0.hasPrefix("workspaces:") })

        let skip = try s.importing("mixed", file, ["--skip-invalid"])
        #expect(skip.status == 0, "stderr: \(skip.stderr)")
        #expect(skip.stderr.contains("skipped line 3") && skip.stderr.contains("skipped line 4"), "stderr: \(skip.stderr)")
        #expect(skip.stdoutText.contains("imported 2 secret(s)") && skip.stdoutText.contains("skipped 2"))
        #expect(try s.e.run(["get"], ["mixed", "good/one"]).stdoutText == "good-one")
        #expect(try s.e.run(["get"], ["mixed", "good/two"]).stdoutText == "good-two")
        #expect(try s.e.run(["get"], ["mixed", "bad/token"]).status == 66)
    }

    @Test func fernetTTLRejectsOldTokens() throws {
        let s = try FernetSetup()
        let now = Int64(Date().timeIntervalSince1970)
        let t = try Self.pyca(keys: s.keyTexts, [(0, "fresh-value", nil), (1, "old-value", now - 7200)])
        let file = try s.file("ttl.tsv", "fresh\t\(t[0])\nold\t\(t[1])\n")
        let r = try s.importing("ttl", file, ["--ttl", "3600"])
        #expect(r.status == 65, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("line 2") && !r.stderr.contains("line 1"), "stderr: \(r.stderr)")
        try Self.expectNoSecrets(s.e, "ttl")
        // Without --ttl (or with a long enough one) the old token opens.
        let ok = try s.importing("ttl", file, ["--ttl", "86400"])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        #expect(try s.e.run(["get"], ["ttl", "old"]).stdoutText == "old-value")
    }
}
