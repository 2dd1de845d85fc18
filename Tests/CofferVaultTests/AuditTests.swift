import Coffer
import CofferCrypto
import Foundation
import GRDB
import Testing

/// The chained audit log on a real SQLite file: what is recorded, tamper detection, retention.
@Suite("Audit log")
struct AuditTests {
    /// A vault with a few operations of every kind, including failures.
    static func populated(configure: (inout VaultConfiguration) -> Void = { _ in }) async throws -> VaultFixture {
        let f = try VaultFixture(configure: configure)
        let vault = f.vault.acting(as: "svc-billing")
        try await vault.createWorkspace("acme")
        let acme = try vault.workspace("acme")
        try await acme.put("stripe/key", value: bytes("sk_live_AUDITVALUE_1"))
        try await acme.put("stripe/key", value: bytes("sk_live_AUDITVALUE_2"))
        _ = try await acme.get("stripe/key")
        _ = try await acme.list()
        try await acme.delete("stripe/key", version: 1)
        try await acme.undelete("stripe/key", version: 1)
        await #expect(throws: VaultError.self) { try await acme.get("missing") }
        await #expect(throws: VaultError.self) { try await acme.put("stripe/key", value: bytes("sk_live_AUDITVALUE_3"), expectedVersion: 1) }
        try await vault.flushAudit()
        return f
    }

    static func count(_ f: VaultFixture) async throws -> Int {
        try await f.database().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log") ?? 0 }
    }

    @Test("every operation and failure is recorded with actor, workspace, name, version and outcome, never a value")
    func recordsEverything() async throws {
        let f = try await Self.populated()
        let records = try await f.vault.auditRecords()
        let summary = records.map { "\($0.event.action.rawValue):\($0.event.outcome.rawValue)" }
        #expect(summary == [
            "workspace.create:success", "put:success", "put:success", "get:success", "list:success",
            "delete:success", "undelete:success", "get:not-found", "put:conflict",
        ])
        #expect(records.map(\.sequence) == Array(1...UInt64(records.count)))
        #expect(records.allSatisfy { $0.event.actor == "svc-billing" && $0.event.workspace == "acme" })
        #expect(records[3].event.name == "stripe/key" && records[3].event.version == 2)
        #expect(records[5].event.version == 1)
        // No value anywhere in the stored log.
        let dump = try await f.database().read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log").map { "\($0)" }.joined()
        }
        #expect(!dump.contains("AUDITVALUE"))
        #expect(try await f.vault.verifyAudit().intact)
    }

    @Test("an authentication failure is recorded")
    func authenticationFailureRecorded() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        try await f.vault.workspace("acme").put("k", value: bytes("value"))
        try await f.database().write { db in
            try db.execute(sql: "UPDATE secret_versions SET ciphertext = zeroblob(length(ciphertext))")
        }
        await #expect(throws: VaultError.authenticationFailed) { try await f.freshVault().workspace("acme").get("k") }
        let last = try #require(try await f.vault.auditRecords().last)
        #expect(last.event.action == .get && last.event.outcome == .authenticationFailed && last.event.name == "k")
    }

    @Test("successful reads are buffered by default, written at once when configured, or not at all")
    func readModes() async throws {
        let buffered = try VaultFixture { $0.audit.flushInterval = .seconds(60) }
        try await buffered.vault.createWorkspace("acme")
        try await buffered.vault.workspace("acme").put("k", value: bytes("value"))
        let before = try await Self.count(buffered)
        _ = try await buffered.vault.workspace("acme").get("k")
        #expect(try await Self.count(buffered) == before)  // not on the get path
        try await buffered.vault.flushAudit()
        #expect(try await Self.count(buffered) == before + 1)

        let sync = try VaultFixture { $0.audit.reads = .synchronous }
        try await sync.vault.createWorkspace("acme")
        try await sync.vault.workspace("acme").put("k", value: bytes("value"))
        let n = try await Self.count(sync)
        _ = try await sync.vault.workspace("acme").get("k")
        #expect(try await Self.count(sync) == n + 1)

        let off = try VaultFixture { $0.audit.reads = .off }
        try await off.vault.createWorkspace("acme")
        try await off.vault.workspace("acme").put("k", value: bytes("value"))
        let m = try await Self.count(off)
        _ = try await off.vault.workspace("acme").get("k")
        await #expect(throws: VaultError.self) { try await off.vault.workspace("acme").get("nope") }
        try await off.vault.flushAudit()
        #expect(try await Self.count(off) == m + 1)  // only the failure
    }

    @Test("concurrent writers share commits and the chain stays gapless and intact")
    func concurrentAppends() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<100 {
                group.addTask { try await acme.put("s\(i % 10)", value: bytes("v\(i)")) }
            }
            try await group.waitForAll()
        }
        let records = try await f.vault.auditRecords(AuditQuery(limit: 10_000))
        #expect(records.count == 101)
        #expect(records.map(\.sequence) == Array(1...101))
        #expect(try await f.vault.verifyAudit().intact)
    }

    @Test("on SQLite a put and its audit record commit together: when the record cannot be written, nothing is")
    func putAndRecordAreAtomic() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("k", value: bytes("v1"))
        let before = try await Self.count(f)
        #expect(before == 2)  // create, put: committed with the put, no flush needed
        // Rewind the chain head: the next record would reuse sequence 1, which exists.
        try await f.database().write { db in try db.execute(sql: "DELETE FROM audit_head") }
        await #expect(throws: VaultError.self) { try await acme.put("k", value: bytes("v2")) }
        #expect(try await f.store.history(workspace: "acme", name: "k").map(\.version) == [1])
        #expect(try await Self.count(f) == before)
    }

    // MARK: Tampering

    static func expectBroken(_ f: VaultFixture, at sequence: UInt64, _ comment: Comment) async throws {
        let result = try await f.freshVault().verifyAudit()
        #expect(!result.intact, comment)
        #expect(result.firstBroken?.sequence == sequence, comment)
    }

    static let columns = "time, actor, action, outcome, workspace, name, version, detail, key_version, mac"

    @Test("editing a record is detected at that record")
    func edit() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in try db.execute(sql: "UPDATE audit_log SET actor = 'someone-else' WHERE sequence = 4") }
        try await Self.expectBroken(f, at: 4, "edited actor")
        let g = try await Self.populated()
        try await g.database().write { db in try db.execute(sql: "UPDATE audit_log SET outcome = 'success' WHERE sequence = 8") }
        try await Self.expectBroken(g, at: 8, "edited outcome")
    }

    @Test("deleting a record is detected where it is missing")
    func deletion() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in try db.execute(sql: "DELETE FROM audit_log WHERE sequence = 5") }
        try await Self.expectBroken(f, at: 5, "deleted record 5")
    }

    @Test("inserting a record is detected")
    func insertion() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            // Make room after record 3 and copy record 3 in as a new record 4.
            let last = try Int.fetchOne(db, sql: "SELECT max(sequence) FROM audit_log")!
            for s in stride(from: last, through: 4, by: -1) {
                try db.execute(sql: "UPDATE audit_log SET sequence = sequence + 1 WHERE sequence = ?", arguments: [s])
            }
            try db.execute(sql: "INSERT INTO audit_log (sequence, \(Self.columns)) SELECT 4, \(Self.columns) FROM audit_log WHERE sequence = 3")
        }
        try await Self.expectBroken(f, at: 4, "inserted record")
    }

    @Test("reordering records is detected at the first one moved")
    func reorder() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try db.execute(sql: "UPDATE audit_log SET sequence = -1 WHERE sequence = 3")
            try db.execute(sql: "UPDATE audit_log SET sequence = 3 WHERE sequence = 4")
            try db.execute(sql: "UPDATE audit_log SET sequence = 4 WHERE sequence = -1")
        }
        try await Self.expectBroken(f, at: 3, "swapped 3 and 4")
    }

    @Test("truncating the tail is detected against the sealed head")
    func truncation() async throws {
        let f = try await Self.populated()
        let last = try #require(try await f.vault.auditRecords().last?.sequence)
        try await f.database().write { db in try db.execute(sql: "DELETE FROM audit_log WHERE sequence >= ?", arguments: [last - 1]) }
        try await Self.expectBroken(f, at: last - 1, "truncated the last two records")
    }

    // MARK: Retention

    @Test("retention purges old records behind a sealed checkpoint and verification stays green")
    func retentionCheckpoint() async throws {
        let f = try await Self.populated()
        let old = try await f.vault.auditRecords().count
        f.clock.advance(by: 400 * 86_400)
        try await f.vault.workspace("acme").put("later", value: bytes("later-value"))
        let report = try await f.vault.purge()
        #expect(report.auditRecordsPurged == old)
        let result = try await f.freshVault().verifyAudit()
        #expect(result.intact)
        #expect(result.checkpoint?.sequence == UInt64(old))
        #expect(result.firstSequence == UInt64(old + 1))
        #expect(try await f.vault.purge().auditRecordsPurged == 0)

        // A forged checkpoint (moved forward to hide records) does not verify.
        try await f.database().write { db in try db.execute(sql: "UPDATE audit_checkpoint SET sequence = sequence + 1") }
        #expect(try await f.freshVault().verifyAudit().intact == false)
    }

    @Test("after a KEK rotation the audit log verifies with the new KEK alone")
    func kekRotation() async throws {
        let f = try await Self.populated()
        let newKEK = try LocalKEK(SymmetricKey.generate(), displayName: "new")
        let report = try await f.vault.rotateKEK(to: newKEK)
        #expect(report.finished)
        let rotated = f.freshVault(kek: newKEK)
        #expect(try await rotated.verifyAudit().intact)
        try await rotated.workspace("acme").put("after", value: bytes("after-rotation"))
        #expect(try await rotated.verifyAudit().intact)
    }
}
