import Coffer
import CofferCrypto
import Foundation
import GRDB
import Testing

/// Grace period, undelete, purge, workspace deletion and crypto-shredding on a real SQLite
/// file (the PostgreSQL store runs the same through its own suites).
@Suite("Retention, workspace deletion and crypto-shredding")
struct RetentionTests {
    static let day: TimeInterval = 86_400

    @Test("a deleted version can be undeleted within the grace period, not after; purge removes it for good")
    func graceUndeletePurge() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("db/password", value: bytes("v1-secret"))
        try await acme.put("db/password", value: bytes("v2-secret"))
        try await acme.delete("db/password", version: 1)

        f.clock.advance(by: 29 * Self.day)
        #expect(try await acme.undelete("db/password", version: 1) == [1])
        #expect(text(try await acme.get("db/password", version: 1).value) == "v1-secret")

        try await acme.delete("db/password", version: 1)
        f.clock.advance(by: 31 * Self.day)
        await #expect(throws: VaultError.retentionExpired(workspace: "acme", name: "db/password", version: 1)) {
            try await acme.undelete("db/password", version: 1)
        }
        // Nothing else was purged yet: the version is still listed, deleted.
        #expect(try await acme.history("db/password").map(\.version) == [1, 2])

        let report = try await f.vault.purge()
        #expect(report.secretVersionsPurged == 1)
        #expect(try await acme.history("db/password").map(\.version) == [2])
        await #expect(throws: VaultError.versionNotFound(workspace: "acme", name: "db/password", version: 1)) {
            try await acme.get("db/password", version: 1)
        }
        // Idempotent, and version numbers are never reused.
        #expect(try await f.vault.purge().secretVersionsPurged == 0)
        #expect(try await acme.put("db/password", value: bytes("v3-secret")).version == 3)
    }

    @Test("purge keeps live versions and deletions younger than the grace period")
    func purgeKeepsYoung() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("old", value: bytes("old-value"))
        try await acme.put("young", value: bytes("young-value"))
        try await acme.put("live", value: bytes("live-value"))
        try await acme.delete("old")
        f.clock.advance(by: 20 * Self.day)
        try await acme.delete("young")
        f.clock.advance(by: 11 * Self.day)  // old: 31 days, young: 11 days
        #expect(try await f.vault.purge().secretVersionsPurged == 1)
        await #expect(throws: VaultError.secretNotFound(workspace: "acme", name: "old")) { try await acme.history("old") }
        #expect(try await acme.undelete("young") == [1])
        #expect(text(try await acme.get("live").value) == "live-value")
    }

    @Test("a deleted workspace refuses every read and write, other workspaces are untouched, undelete restores it")
    func workspaceDeleteUndelete() async throws {
        let f = try VaultFixture()
        for ws in ["acme", "beta"] {
            try await f.vault.createWorkspace(ws)
            try await f.vault.workspace(ws).put("token", value: bytes("\(ws)-token"))
        }
        let acme = try f.vault.workspace("acme")
        _ = try await acme.get("token")  // warm the cache: deletion must still win
        #expect(try await f.vault.deleteWorkspace("acme"))
        #expect(try await f.vault.deleteWorkspace("acme") == false)
        let deleted = VaultError.workspaceDeleted("acme")
        await #expect(throws: deleted) { try await acme.get("token") }
        await #expect(throws: deleted) { try await acme.put("token", value: bytes("new")) }
        await #expect(throws: deleted) { try await acme.list() }
        await #expect(throws: deleted) { try await acme.history("token") }
        await #expect(throws: deleted) { try await acme.delete("token") }
        await #expect(throws: deleted) { try await f.freshVault().workspace("acme").get("token") }
        await #expect(throws: VaultError.workspaceExists("acme")) { try await f.vault.createWorkspace("acme") }
        #expect(text(try await f.vault.workspace("beta").get("token").value) == "beta-token")

        #expect(try await f.vault.undeleteWorkspace("acme"))
        #expect(text(try await acme.get("token").value) == "acme-token")
        #expect(try await acme.put("token", value: bytes("acme-token-2")).version == 2)
    }

    @Test("past the grace period a deleted workspace cannot be undeleted and purge shreds it with a receipt")
    func purgeShredsDeletedWorkspaces() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        try await f.vault.createWorkspace("beta")
        try await f.vault.workspace("acme").put("a", value: bytes("acme-a"))
        try await f.vault.deleteWorkspace("acme")
        f.clock.advance(by: 31 * Self.day)
        await #expect(throws: VaultError.self) { try await f.vault.undeleteWorkspace("acme") }
        let report = try await f.vault.purge()
        #expect(report.workspacesShredded.map(\.workspace) == ["acme"])
        #expect(report.workspacesShredded.first?.secretVersionsUnreadable == 1)
        await #expect(throws: VaultError.workspaceShredded("acme")) { try await f.vault.workspace("acme").get("a") }
        #expect(try await f.vault.purge().workspacesShredded.isEmpty)
        let records = try await f.vault.listWorkspaces()
        #expect(records.first { $0.id == "acme" }?.shreddedAt != nil)
        #expect(records.first { $0.id == "beta" }?.deletedAt == nil)
    }

    @Test("the shred receipt lists the destroyed data keys, the unreadable versions and the audit chain head")
    func shredReceipt() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("a", value: bytes("a1"))
        try await acme.put("a", value: bytes("a2"))
        try await f.vault.rotateDataKey(workspace: "acme")
        try await acme.put("b", value: bytes("b1"))
        try await acme.delete("b")
        let receipt = try await f.vault.shredWorkspace("acme")
        #expect(receipt.workspace == "acme")
        #expect(receipt.dataKeyVersionsDestroyed == [1, 2])
        #expect(receipt.secretVersionsUnreadable == 3)
        #expect(receipt.kekIDs == [f.kek.id.description])
        let verification = try await f.vault.verifyAudit()
        #expect(verification.intact)
        #expect(receipt.auditSequence == verification.head.sequence)
        #expect(receipt.auditChainHead == Hex.string(verification.head.mac))
        let json = try #require(String(data: try receipt.jsonData(), encoding: .utf8))
        #expect(json.contains("\"dataKeyVersionsDestroyed\""))
        await #expect(throws: VaultError.workspaceShredded("acme")) { try await f.vault.shredWorkspace("acme") }
        await #expect(throws: VaultError.workspaceExists("acme")) { try await f.vault.createWorkspace("acme") }
    }

    @Test("rows put back from a database copy taken before the shred never open again")
    func shredSurvivesRestoredRows() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("db/password", value: bytes("restored-must-not-open"))
        try await acme.put("api/key", value: bytes("restored-api-key"))
        let backup = f.directory.path + "/backup.db"
        try await f.database().writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [backup]) }
        let oldGeneration = try #require(try await f.store.workspace("acme")?.keyGeneration)

        _ = try await f.vault.shredWorkspace("acme")
        let tombstone = try #require(try await f.store.workspace("acme"))
        #expect(tombstone.keyGeneration != oldGeneration)

        // Put every data key, secret and secret version row back, and even clear the tombstone.
        let queue = try f.database()
        try await queue.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS backup", arguments: [backup])
            try db.inTransaction {
                try db.execute(sql: "INSERT INTO data_keys SELECT * FROM backup.data_keys WHERE workspace_id = 'acme'")
                try db.execute(sql: "INSERT INTO secrets SELECT * FROM backup.secrets WHERE workspace_id = 'acme'")
                try db.execute(sql: "INSERT INTO secret_versions SELECT * FROM backup.secret_versions WHERE workspace_id = 'acme'")
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE backup")
        }
        await #expect(throws: VaultError.workspaceShredded("acme")) { try await f.freshVault().workspace("acme").get("db/password") }
        try await queue.write { db in
            try db.execute(sql: "UPDATE workspaces SET shredded_at = NULL, deleted_at = NULL WHERE id = 'acme'")
        }
        for name in ["db/password", "api/key"] {
            await #expect(throws: VaultError.authenticationFailed) { try await f.freshVault().workspace("acme").get(name) }
        }
        // The restored wrapped key is bound to the destroyed generation: the KEK itself refuses it.
        let restored = try #require(try await f.store.dataKeys(workspace: "acme").first)
        #expect(throws: CofferCryptoError.authenticationFailed) {
            _ = try f.kek.unwrap(restored.wrapped, workspace: restored.wrapBinding, dataKeyVersion: restored.version)
        }
    }

    @Test("two vaults purging at once remove each version exactly once")
    func concurrentPurge() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        for i in 0..<60 {
            try await acme.put("s\(i)", value: bytes("value-\(i)"))
            try await acme.delete("s\(i)")
        }
        f.clock.advance(by: 31 * Self.day)
        let other = f.freshVault()
        async let a = f.vault.purge(batchSize: 7)
        async let b = other.purge(batchSize: 5)
        let (ra, rb) = try await (a, b)
        #expect(ra.secretVersionsPurged + rb.secretVersionsPurged == 60)
        #expect(try await acme.list().isEmpty)
        #expect(try await f.vault.verifyAudit().intact)
    }
}
