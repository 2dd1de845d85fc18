import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Testing

/// The lifecycle promises through the Vault on PostgreSQL: grace and purge, shredding against
/// restored rows, the audit chain with tampering and retention, export/import between stores.
@Suite("Vault lifecycle on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresVaultLifecycleTests {
    static let day: TimeInterval = 86_400

    @Test("grace period, undelete, purge from two instances at once, version numbers never reused")
    func gracePurge() async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("acme")
            let acme = try f.vault.workspace("acme")
            for i in 0..<40 {
                try await acme.put("s\(i)", value: SecretBytes(Array("value-\(i)".utf8)))
                try await acme.delete("s\(i)")
            }
            try await acme.put("keep", value: SecretBytes(Array("kept".utf8)))
            #expect(try await acme.undelete("s0") == [1])
            f.clock.advance(by: 31 * Self.day)
            await #expect(throws: VaultError.retentionExpired(workspace: "acme", name: "s1", version: 1)) { try await acme.undelete("s1") }
            var total = 0
            try await f.otherInstance { other in
                async let a = f.vault.purge(batchSize: 7)
                async let b = other.purge(batchSize: 5)
                let (ra, rb) = try await (a, b)
                total = ra.secretVersionsPurged + rb.secretVersionsPurged
            }
            #expect(total == 39)
            #expect(try await f.vault.purge().secretVersionsPurged == 0)
            #expect(try await acme.list().map(\.name) == ["keep", "s0"])
            #expect(try await acme.put("s1", value: SecretBytes(Array("again".utf8))).version == 2)
        }
    }

    @Test("a shredded workspace stays unreadable when its rows are put back from a copy")
    func shredWithRestoredRows() async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("acme")
            try await f.vault.createWorkspace("beta")
            let acme = try f.vault.workspace("acme")
            try await acme.put("db/password", value: SecretBytes(Array("pg-restored-must-not-open".utf8)))
            try await f.vault.workspace("beta").put("k", value: SecretBytes(Array("beta-value".utf8)))
            _ = try await f.maintenanceSQL([
                "CREATE TABLE {S}.backup_data_keys AS SELECT * FROM {S}.data_keys WHERE workspace_id = 'acme'",
                "CREATE TABLE {S}.backup_secrets AS SELECT * FROM {S}.secrets WHERE workspace_id = 'acme'",
                "CREATE TABLE {S}.backup_versions AS SELECT * FROM {S}.secret_versions WHERE workspace_id = 'acme'",
            ])
            let receipt = try await f.vault.shredWorkspace("acme")
            #expect(receipt.dataKeyVersionsDestroyed == [1] && receipt.secretVersionsUnreadable == 1)
            _ = try await f.maintenanceSQL([
                "INSERT INTO {S}.data_keys SELECT * FROM {S}.backup_data_keys",
                "INSERT INTO {S}.secrets SELECT * FROM {S}.backup_secrets",
                "INSERT INTO {S}.secret_versions SELECT * FROM {S}.backup_versions",
            ])
            await #expect(throws: VaultError.workspaceShredded("acme")) { try await f.freshVault().workspace("acme").get("db/password") }
            _ = try await f.maintenanceSQL(["UPDATE {S}.workspaces SET shredded_at = NULL, deleted_at = NULL WHERE id = 'acme'"])
            await #expect(throws: VaultError.authenticationFailed) { try await f.freshVault().workspace("acme").get("db/password") }
            #expect(String(decoding: try await f.vault.workspace("beta").get("k").value.unprotectedArray(), as: UTF8.self) == "beta-value")
            let verification = try await f.vault.verifyAudit()
            #expect(verification.intact)
            #expect(receipt.auditSequence.map { $0 <= verification.head.sequence } == true)
        }
    }

    @Test("the audit chain verifies, detects an edited record, and survives retention")
    func auditChain() async throws {
        try await PostgresVaultFixture.with { f in
            let vault = f.vault.acting(as: "svc-pg")
            try await vault.createWorkspace("acme")
            let acme = try vault.workspace("acme")
            try await acme.put("k", value: SecretBytes(Array("audit-pg-value".utf8)))
            _ = try await acme.get("k")
            await #expect(throws: VaultError.self) { try await acme.get("missing") }
            try await vault.flushAudit()
            let records = try await vault.auditRecords()
            #expect(records.map(\.event.action) == [.createWorkspace, .put, .get, .get])
            #expect(records.last?.event.outcome == .notFound)
            #expect(records.allSatisfy { $0.event.actor == "svc-pg" })
            #expect(try await vault.verifyAudit().intact)

            f.clock.advance(by: 400 * Self.day)
            try await acme.put("k", value: SecretBytes(Array("later".utf8)))
            let report = try await vault.purge()
            #expect(report.auditRecordsPurged == records.count)
            let after = try await f.freshVault().verifyAudit()
            #expect(after.intact && after.checkpoint?.sequence == UInt64(records.count))

            _ = try await f.maintenanceSQL(["UPDATE {S}.audit_log SET actor = 'mallory' WHERE sequence = \(records.count + 1)"])
            let broken = try await f.freshVault().verifyAudit()
            #expect(broken.firstBroken?.sequence == UInt64(records.count + 1))
        }
    }

    @Test("export from SQLite-shaped JSON imports into PostgreSQL all or nothing")
    func exportImport() async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("src")
            let src = try f.vault.workspace("src")
            try await src.put("a", value: SecretBytes(Array("alpha".utf8)), metadata: SecretMetadata(labels: ["env": "prod"]))
            try await src.putWebhookSecret("hook", WebhookSecret(secret: "whsec_pg"))
            let recipient = try X25519KeyPair.generate()
            let bundle = try await src.exportBundle(to: recipient.publicKey)
            try await f.vault.createWorkspace("dst")
            let dst = try f.vault.workspace("dst")
            try await dst.put("hook", value: SecretBytes(Array("exists".utf8)))
            await #expect(throws: VaultError.self) { try await dst.importBundle(bundle, identity: recipient) }
            #expect(try await dst.list().map(\.name) == ["hook"])
            try await dst.importBundle(bundle, identity: recipient, overwrite: true)
            #expect(String(decoding: try await dst.get("a").value.unprotectedArray(), as: UTF8.self) == "alpha")
            #expect(try await dst.get("a").info.metadata.labels == ["env": "prod"])
            #expect(try await dst.webhookSecret("hook").secret.secret == "whsec_pg")
        }
    }
}
