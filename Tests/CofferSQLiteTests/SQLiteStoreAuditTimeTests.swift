@_spi(Testing) import CofferSQLite
import Coffer
import Foundation
import GRDB
import Testing

/// Schema v4: the audit log has no time index; retention and `since` walk it in sequence order.
@Suite("SQLiteStore audit log without a time index")
struct SQLiteStoreAuditTimeTests {
    typealias S = StoreTestSupport

    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    /// Appends one record per entry of `seconds` (event time = epoch + seconds), in that order,
    /// with placeholder MACs (the store checks the numbering, not the MACs).
    @discardableResult
    static func append(_ store: SQLiteStore, seconds: [Double], workspace: String? = "w") async throws -> AuditChainHead {
        try await store.appendAudit(count: seconds.count) { head in
            let records = seconds.enumerated().map { i, s in
                AuditRecord(
                    sequence: head.sequence + UInt64(i) + 1,
                    event: AuditEvent(time: epoch.addingTimeInterval(s), actor: "t", action: .put, outcome: .success, workspace: workspace),
                    keyVersion: 1, mac: [UInt8](repeating: UInt8(i), count: 32))
            }
            let last = records.last!
            return (records, AuditChainHead(sequence: last.sequence, mac: last.mac, keyVersion: 1, seal: [UInt8](repeating: 1, count: 32)))
        }
    }

    static func indexes(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'audit_log' ORDER BY name")
        }
    }

    @Test func freshDatabaseHasNoAuditTimeIndex() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/fresh.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await Self.append(store, seconds: [1])
        #expect(try Self.indexes(path) == ["audit_log_workspace"])
    }

    @Test func v3DatabaseMigratesToV4KeepingEveryRecord() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/v3.db"
        try SQLiteStore.migrateForTesting(path: path, upTo: "v3")
        try await DatabaseQueue(path: path).write { db in
            // Times out of order: the clock went back between records 2 and 3.
            for (sequence, seconds) in [(1, 10), (2, 50), (3, 20), (4, 60)] {
                try db.execute(sql: """
                    INSERT INTO audit_log (sequence, time, actor, action, outcome, workspace, key_version, mac)
                    VALUES (?, ?, 'old', 'put', 'success', 'w', 1, zeroblob(32))
                    """, arguments: [sequence, (Int64(Self.epoch.timeIntervalSince1970) + Int64(seconds)) * 1_000_000])
            }
            try db.execute(sql: "INSERT INTO audit_head VALUES (1, 4, zeroblob(32), 1, zeroblob(32))")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try Self.indexes(path) == ["audit_log_time", "audit_log_workspace"])

        let store = try SQLiteStore(path: path, logger: S.logger)
        let ids = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(ids == ["v1", "v2", "v3", "v4"])
        #expect(try Self.indexes(path) == ["audit_log_workspace"])
        #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [1, 2, 3, 4])
        #expect(try await store.auditRecords(AuditQuery(since: Self.epoch.addingTimeInterval(30))).map(\.sequence) == [2, 4])
        #expect(try await store.lastAuditSequence(before: Self.epoch.addingTimeInterval(30)) == 1)
        #expect(try await store.auditHead().sequence == 4)
        try await Self.append(store, seconds: [70])
        #expect(try await store.auditHead().sequence == 5)
    }

    @Test func retentionBoundaryStopsAtTheFirstRecordAtOrAfterTheCutoff() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/a.db", logger: S.logger)
        let t = { (s: Double) in Self.epoch.addingTimeInterval(s) }
        #expect(try await store.lastAuditSequence(before: t(1_000)) == nil)
        // Record 4 is stamped before record 3: the clock went backwards.
        try await Self.append(store, seconds: [10, 20, 50, 15, 60])
        #expect(try await store.lastAuditSequence(before: t(5)) == nil)
        #expect(try await store.lastAuditSequence(before: t(10)) == nil)
        #expect(try await store.lastAuditSequence(before: t(16)) == 1)  // not 4: record 2 (t=20) is newer
        #expect(try await store.lastAuditSequence(before: t(30)) == 2)  // not 4: record 3 (t=50) is newer
        #expect(try await store.lastAuditSequence(before: t(55)) == 4)
        #expect(try await store.lastAuditSequence(before: t(1_000)) == 5)

        // A purge through the boundary keeps every record at or after the cutoff.
        let through = try #require(try await store.lastAuditSequence(before: t(30)))
        let record = try #require(try await store.auditRecords(AuditQuery(afterSequence: through - 1, limit: 1)).first)
        _ = try await store.purgeAudit(through: AuditCheckpoint(
            sequence: through, mac: record.mac, createdAt: t(100), keyVersion: 1, seal: [UInt8](repeating: 2, count: 32)))
        let kept = try await store.auditRecords(AuditQuery())
        #expect(kept.map(\.sequence) == [3, 4, 5])
        // The walk starts after the purged records.
        #expect(try await store.lastAuditSequence(before: t(30)) == nil)
        #expect(try await store.lastAuditSequence(before: t(55)) == 4)
    }

    @Test func sinceReturnsEveryRecordAtOrAfterItInSequenceOrder() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/a.db", logger: S.logger)
        let t = { (s: Double) in Self.epoch.addingTimeInterval(s) }
        try await Self.append(store, seconds: [10, 50, 20, 60], workspace: "w")
        try await Self.append(store, seconds: [40, 5], workspace: "x")
        #expect(try await store.auditRecords(AuditQuery(since: t(30))).map(\.sequence) == [2, 4, 5])
        #expect(try await store.auditRecords(AuditQuery(since: t(20))).map(\.sequence) == [2, 3, 4, 5])
        #expect(try await store.auditRecords(AuditQuery(workspace: "w", since: t(30))).map(\.sequence) == [2, 4])
        #expect(try await store.auditRecords(AuditQuery(workspace: "x", since: t(1))).map(\.sequence) == [5, 6])
        // Paging by sequence.
        #expect(try await store.auditRecords(AuditQuery(since: t(30), limit: 1)).map(\.sequence) == [2])
        #expect(try await store.auditRecords(AuditQuery(afterSequence: 2, since: t(30), limit: 1)).map(\.sequence) == [4])
        #expect(try await store.auditRecords(AuditQuery(afterSequence: 5, since: t(30))).isEmpty)
    }
}
