import Coffer
import CofferCrypto
import Foundation
import Testing

/// Export/import round trips (plaintext JSON and sealed bundles) and the Fernet migration,
/// between two independent vaults (separate SQLite files and KEKs).
@Suite("Export and import")
struct ExportImportTests {
    /// A source workspace with every kind of value: text, binary, the three typed kinds, labels,
    /// expiry, a deleted secret (not exported) and a secret whose newest version is deleted.
    static func source() async throws -> VaultFixture {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("text", value: bytes("plain-text-export-value"), metadata: SecretMetadata(
            contentType: "text/plain", labels: ["env": "prod", "team": "billing"], expiresAt: Date(timeIntervalSince1970: 1_900_000_000.123456)))
        try await acme.put("binary", value: SecretBytes([0x00, 0xff, 0xfe, 0x80, 0x41]))
        try await acme.putOAuthToken("github/oauth", OAuthTokenSet(
            accessToken: "gho_access_export", refreshToken: "ghr_refresh_export", scopes: ["repo", "read:org"],
            expiresAt: Date(timeIntervalSince1970: 1_900_000_000)), labels: ["app": "ci"])
        try await acme.putCloudCredentials("aws/ci", CloudCredentials(accessKeyID: "AKIAEXPORT", secretAccessKey: "export-secret-key"))
        try await acme.putWebhookSecret("stripe/webhook", WebhookSecret(secret: "whsec_export"))
        try await acme.put("gone", value: bytes("deleted-not-exported"))
        try await acme.delete("gone")
        try await acme.put("rolled", value: bytes("rolled-v1"))
        try await acme.put("rolled", value: bytes("rolled-v2"))
        try await acme.delete("rolled", version: 2)
        return f
    }

    /// (name, kind, contentType, labels, expiresAt, value) of every live secret.
    static func snapshot(_ scope: WorkspaceScope) async throws -> [String] {
        var out: [String] = []
        for s in try await scope.list() where s.liveVersionCount > 0 {
            let history = try await scope.history(s.name)
            let live = try #require(history.last { $0.deletedAt == nil })
            let secret = try await scope.get(s.name, version: live.version)
            let m = secret.info.metadata
            out.append("\(s.name)|\(m.kind.rawValue)|\(m.contentType ?? "-")|\(m.labels.sorted { $0.key < $1.key })|\(m.expiresAt?.timeIntervalSince1970 ?? -1)|\(secret.value.unprotectedArray())")
        }
        return out
    }

    @Test("JSON export then import into another vault gives identical values, metadata and kinds")
    func jsonRoundTrip() async throws {
        let source = try await Self.source()
        let export = try await source.vault.workspace("acme").export()
        #expect(export.secrets.map(\.name) == ["aws/ci", "binary", "github/oauth", "rolled", "stripe/webhook", "text"])
        #expect(export.secrets.first { $0.name == "rolled" }?.version == 1)
        let json = try export.jsonBytes()
        let jsonText = String(decoding: json.unprotectedArray(), as: UTF8.self)
        #expect(jsonText.contains("\"valueBase64\""))  // the binary value
        #expect(jsonText.contains("plain-text-export-value"))

        let target = try VaultFixture()
        try await target.vault.createWorkspace("acme-copy")
        let copy = try target.vault.workspace("acme-copy")
        let report = try await copy.importSecrets(try WorkspaceExport(json: json))
        #expect(report.written.count == 6)
        #expect(try await Self.snapshot(copy) == (try await Self.snapshot(source.vault.workspace("acme"))))
    }

    @Test("an import that conflicts with an existing secret writes nothing; overwrite writes new versions")
    func conflictAllOrNothing() async throws {
        let source = try await Self.source()
        let export = try await source.vault.workspace("acme").export()
        let target = try VaultFixture()
        try await target.vault.createWorkspace("t")
        let t = try target.vault.workspace("t")
        try await t.put("stripe/webhook", value: bytes("already-here"))
        await #expect(throws: VaultError.self) { try await t.importSecrets(export) }
        #expect(try await t.list().map(\.name) == ["stripe/webhook"])
        let report = try await t.importSecrets(export, overwrite: true)
        #expect(report.written.first { $0.name == "stripe/webhook" }?.version == 2)
        #expect(try await t.list().count == 6)
    }

    @Test("malformed export JSON is refused with a clear error")
    func malformedJSON() async throws {
        for (input, fragment) in [
            ("", "empty"), ("{", "not valid"), ("{\"format\":\"other/v9\",\"workspace\":\"a\",\"exportedAt\":\"2026-01-01T00:00:00Z\",\"secrets\":[]}", "unknown export format"),
            ("{\"format\":\"coffer-workspace-export/v1\",\"workspace\":\"a\",\"exportedAt\":\"2026-01-01T00:00:00Z\",\"secrets\":[{\"name\":\"x\"}]}", "neither value"),
        ] {
            do {
                _ = try WorkspaceExport(json: bytes(input))
                Issue.record("accepted \(input)")
            } catch let VaultError.invalidImport(why) {
                #expect(why.contains(fragment), "\(why)")
            }
        }
    }

    /// Found by the export-json fuzzer (Fuzz/): "2052-01-01T00:00:00.143501Z" was read through a
    /// Double of seconds and written back as ".143502Z", one microsecond later on every cycle.
    @Test("times survive export → import → export to the microsecond")
    func timesSurviveRoundTrips() throws {
        let times = ["2052-01-01T00:00:00.143501Z", "2026-01-01T00:00:00.123456Z", "1969-12-31T23:59:59.999999Z",
                     "2105-12-31T23:59:59.000001Z", "0001-01-01T00:00:00.000000Z"]
        for time in times {
            let json = "{\"format\":\"coffer-workspace-export/v1\",\"workspace\":\"a\",\"exportedAt\":\"\(time)\",\"secrets\":"
                + "[{\"name\":\"x\",\"value\":\"v\",\"createdAt\":\"\(time)\",\"expiresAt\":\"\(time)\"}]}"
            var text = json
            for _ in 0..<3 {
                let export = try WorkspaceExport(json: bytes(text))
                text = try export.jsonBytes().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                #expect(text.components(separatedBy: time).count == 4, "\(time) became \(text)")
            }
        }
    }

    @Test("a bundle sealed to an X25519 key round-trips; damaged or for someone else, it writes nothing")
    func x25519Bundle() async throws {
        let source = try await Self.source()
        let recipient = try X25519KeyPair.generate()
        let bundle = try await source.vault.workspace("acme").exportBundle(to: recipient.publicKey)
        #expect(!String(decoding: bundle, as: UTF8.self).contains("plain-text-export-value"))

        let target = try VaultFixture()
        try await target.vault.createWorkspace("dest")
        let dest = try target.vault.workspace("dest")
        var damaged = bundle
        damaged[damaged.count / 2] ^= 0x01
        await #expect(throws: VaultError.bundleAuthenticationFailed) { try await dest.importBundle(damaged, identity: recipient) }
        await #expect(throws: VaultError.self) { try await dest.importBundle(Array(bundle.dropLast(7)), identity: recipient) }
        await #expect(throws: VaultError.bundleAuthenticationFailed) { try await dest.importBundle(bundle, identity: try X25519KeyPair.generate()) }
        #expect(try await dest.list().isEmpty)

        try await dest.importBundle(bundle, identity: recipient)
        #expect(try await Self.snapshot(dest) == (try await Self.snapshot(source.vault.workspace("acme"))))
    }

    @Test("a passphrase bundle round-trips; a wrong passphrase writes nothing")
    func passphraseBundle() async throws {
        let source = try await Self.source()
        let cost = PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: 8 << 20)
        let bundle = try await source.vault.workspace("acme").exportBundle(passphrase: bytes("correct horse battery"), cost: cost)
        let target = try VaultFixture()
        try await target.vault.createWorkspace("dest")
        let dest = try target.vault.workspace("dest")
        await #expect(throws: VaultError.self) { try await dest.importBundle(bundle, passphrase: bytes("wrong horse")) }
        #expect(try await dest.list().isEmpty)
        try await dest.importBundle(bundle, passphrase: bytes("correct horse battery"))
        #expect(try await Self.snapshot(dest) == (try await Self.snapshot(source.vault.workspace("acme"))))
    }

    @Test("Fernet tokens made by pyca move into Coffer; invalid lines write nothing unless skipped")
    func fernetMigration() async throws {
        let keys = [FernetImportFileTests.keyText(), FernetImportFileTests.keyText()]  // new, old
        let tokens = try FernetImportFileTests.pyca(keys: keys, [
            .init(hex: FernetImportFileTests.hex("fernet-plaintext-one"), key: 0),
            .init(hex: FernetImportFileTests.hex("fernet-plaintext-two"), key: 1),
            .init(hex: FernetImportFileTests.hex("fernet-plaintext-three"), key: 0),
        ])
        let fernetKeys = try keys.map { try FernetKey(base64: $0) }
        let good = "# migrated from the legacy store\nsvc/one\t\(tokens[0])\n\nsvc/two\t\(tokens[1])\r\nsvc/three\t\(tokens[2])\n"
        let f = try VaultFixture()
        try await f.vault.createWorkspace("legacy")
        let scope = try f.vault.workspace("legacy")

        let bad = good + "svc/four\t\(FernetImportFileTests.tampered(tokens[0]))\nno-tab-here\n"
        let badFile = try FernetImportFile(contentsOf: Array(bad.utf8), keys: fernetKeys, ttl: nil, now: Date())
        await #expect(throws: VaultError.self) { try await scope.importFernet(badFile) }
        #expect(try await scope.list().isEmpty)
        let skipped = try await scope.importFernet(badFile, skipInvalid: true)
        #expect(skipped.written.count == 3)
        #expect(skipped.skipped.map(\.line) == [6, 7])

        let g = try VaultFixture()
        try await g.vault.createWorkspace("legacy")
        let clean = try g.vault.workspace("legacy")
        try await clean.importFernet(try FernetImportFile(contentsOf: Array(good.utf8), keys: fernetKeys, ttl: nil, now: Date()))
        #expect(text(try await clean.get("svc/one").value) == "fernet-plaintext-one")
        #expect(text(try await clean.get("svc/two").value) == "fernet-plaintext-two")
        let three = try await clean.get("svc/three")
        #expect(text(three.value) == "fernet-plaintext-three")
        #expect(three.info.metadata.labels["imported-from"] == "fernet")
        // Now sealed under Coffer's AES-256-GCM: the stored ciphertext is a Coffer v1 value.
        let stored = try #require(try await g.store.secretVersion(workspace: "legacy", name: "svc/three", version: nil))
        let header = try stored.ciphertext.withUnsafeBytes { try CiphertextHeader(parsing: $0) }
        #expect(header.formatVersion == CiphertextHeader.formatVersion && header.algorithm == CiphertextHeader.aes256GCM)
    }
}
