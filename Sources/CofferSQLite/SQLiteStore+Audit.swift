public import Coffer
public import CofferCrypto
public import Foundation
import GRDB

/// The audit log on SQLite (schema v3, see ``SQLiteSchemaV3``): audit-key versions, the
/// chained records, the head and the retention checkpoint. Appends run inside one
/// `BEGIN IMMEDIATE` transaction, so the writer lock serialises them across threads and
/// processes: each chain closure sees the head the previous append committed.
extension SQLiteStore {
    // MARK: Audit keys

    /// See ``LifecycleSecretStore/auditKeys()``.
    public func auditKeys() async throws -> [AuditKeyRecord] {
        try read { db in
            let stmt = try db.cachedStatement(sql: "SELECT version, kek_id, wrapped, created_at FROM audit_keys ORDER BY version")
            return try Row.fetchAll(stmt).map { row in
                let text: String = row[1]
                guard let kekID = try? KEKIdentifier(parsing: text) else {
                    throw VaultError.storeCorrupted("an audit key has a malformed KEK id")
                }
                return AuditKeyRecord(
                    version: try SQLiteCoding.version(row[0]),
                    wrapped: WrappedDataKey(kekID: kekID, ciphertext: try SQLiteCoding.bytes(row, 2)),
                    createdAt: SQLiteCoding.date(micros: row[3]))
            }
        }
    }

    /// See ``LifecycleSecretStore/insertAuditKey(_:)``.
    public func insertAuditKey(_ record: AuditKeyRecord) async throws -> Bool {
        let inserted = try write { db -> Bool in
            try db.cachedStatement(sql: """
                INSERT INTO audit_keys (version, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (version) DO NOTHING
                """).execute(arguments: [
                    Int64(record.version), record.wrapped.kekID.description, Data(record.wrapped.ciphertext),
                    SQLiteCoding.micros(record.createdAt),
                ])
            return db.changesCount == 1
        }
        if inserted { logger.info("audit key created", metadata: ["version": "\(record.version)"]) }
        return inserted
    }

    /// See ``LifecycleSecretStore/rewrapAuditKey(version:expectedKEKID:wrapped:)``.
    public func rewrapAuditKey(version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) async throws -> Bool {
        try write { db -> Bool in
            try db.cachedStatement(sql: """
                UPDATE audit_keys SET kek_id = ?1, wrapped = ?2 WHERE version = ?3 AND kek_id = ?4
                """).execute(arguments: [
                    wrapped.kekID.description, Data(wrapped.ciphertext), Int64(version), expectedKEKID.description,
                ])
            return db.changesCount == 1
        }
    }

    // MARK: Audit log

    /// See ``LifecycleSecretStore/appendAudit(count:chain:)``. The records `chain` returns
    /// must be exactly `count`, numbered `head.sequence + 1 …`, and end at the new head;
    /// otherwise nothing is written and ``VaultError/invalidValue(_:)`` is thrown.
    public func appendAudit(
        count: Int, chain: @Sendable (_ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> AuditChainHead {
        try write { db in try Self.appendAudit(db, count: count, chain: chain) }
    }

    /// The body of an audit append inside a write transaction (shared by
    /// ``appendAudit(count:chain:)`` and the put that records its own audit record).
    static func appendAudit(
        _ db: Database, count: Int, chain: (_ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) throws -> AuditChainHead {
        let head = try Self.auditHead(db)
        let (records, newHead) = try chain(head)
        guard records.count == count,
            records.enumerated().allSatisfy({ $0.element.sequence == head.sequence + UInt64($0.offset) + 1 }),
            newHead.sequence == (records.last?.sequence ?? head.sequence)
        else {
            throw VaultError.invalidValue(
                "audit append expected \(count) record(s) numbered from \(head.sequence + 1) ending at the new head")
        }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO audit_log
                (sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for record in records {
            let e = record.event
            try insert.execute(arguments: [
                try SQLiteCoding.sequenceValue(record.sequence), SQLiteCoding.micros(e.time), e.actor, e.action.rawValue,
                e.outcome.rawValue, e.workspace, e.name, e.version.map { Int64($0) }, e.detail,
                Int64(record.keyVersion), Data(record.mac),
            ])
        }
        try db.cachedStatement(sql: """
            INSERT INTO audit_head (id, sequence, mac, key_version, seal) VALUES (1, ?1, ?2, ?3, ?4)
            ON CONFLICT (id) DO UPDATE SET sequence = ?1, mac = ?2, key_version = ?3, seal = ?4
            """).execute(arguments: [
                try SQLiteCoding.sequenceValue(newHead.sequence), Data(newHead.mac), Int64(newHead.keyVersion), Data(newHead.seal),
            ])
        return newHead
    }

    /// The stored head, or genesis.
    private static func auditHead(_ db: Database) throws -> AuditChainHead {
        let stmt = try db.cachedStatement(sql: "SELECT sequence, mac, key_version, seal FROM audit_head WHERE id = 1")
        guard let row = try Row.fetchOne(stmt) else { return .genesis }
        return AuditChainHead(
            sequence: try SQLiteCoding.sequence(row[0]), mac: try SQLiteCoding.bytes(row, 1),
            keyVersion: try SQLiteCoding.version(row[2]), seal: try SQLiteCoding.bytes(row, 3))
    }

    /// See ``LifecycleSecretStore/auditHead()``.
    public func auditHead() async throws -> AuditChainHead {
        try read { db in try Self.auditHead(db) }
    }

    /// See ``LifecycleSecretStore/auditCheckpoint()``.
    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT sequence, mac, created_at, key_version, seal FROM audit_checkpoint WHERE id = 1
                """)
            return try Row.fetchOne(stmt).map { row in
                AuditCheckpoint(
                    sequence: try SQLiteCoding.sequence(row[0]), mac: try SQLiteCoding.bytes(row, 1),
                    createdAt: SQLiteCoding.date(micros: row[2]), keyVersion: try SQLiteCoding.version(row[3]),
                    seal: try SQLiteCoding.bytes(row, 4))
            }
        }
    }

    /// See ``LifecycleSecretStore/auditRecords(_:)``. The workspace filter walks the index
    /// `audit_log_workspace(workspace, sequence)`; otherwise the primary key.
    public func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] {
        guard query.limit > 0 else { return [] }
        var conditions = ["sequence > ?1"]
        if query.workspace != nil { conditions.append("workspace = ?2") }
        if query.since != nil { conditions.append("time >= ?3") }
        let sql = """
            SELECT sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac
            FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT ?4
            """
        let after = try SQLiteCoding.sequenceValue(query.afterSequence)
        let arguments: StatementArguments = [after, query.workspace, query.since.map(SQLiteCoding.micros), query.limit]
        return try read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.auditRecord)
        }
    }

    /// Decodes one `audit_log` row (columns in table order).
    private static func auditRecord(_ row: Row) throws -> AuditRecord {
        let sequence = try SQLiteCoding.sequence(row[0])
        let actionText: String = row[3]
        let outcomeText: String = row[4]
        guard let action = AuditAction(rawValue: actionText), let outcome = AuditOutcome(rawValue: outcomeText) else {
            throw VaultError.storeCorrupted("audit record \(sequence) has an unknown action or outcome")
        }
        let version: Int64? = row[7]
        return AuditRecord(
            sequence: sequence,
            event: AuditEvent(
                time: SQLiteCoding.date(micros: row[1]), actor: row[2], action: action, outcome: outcome,
                workspace: row[5], name: row[6], version: try version.map(SQLiteCoding.version), detail: row[8]),
            keyVersion: try SQLiteCoding.version(row[9]),
            mac: try SQLiteCoding.bytes(row, 10))
    }

    /// See ``LifecycleSecretStore/lastAuditSequence(before:)``.
    public func lastAuditSequence(before cutoff: Date) async throws -> UInt64? {
        try read { db in
            let stmt = try db.cachedStatement(sql: "SELECT MAX(sequence) FROM audit_log WHERE time < ?")
            let last = try Int64.fetchOne(stmt, arguments: [SQLiteCoding.micros(cutoff)])
            return try last.map { (value: Int64) throws -> UInt64 in try SQLiteCoding.sequence(value) }
        }
    }

    /// See ``LifecycleSecretStore/purgeAudit(through:)``.
    public func purgeAudit(through checkpoint: AuditCheckpoint) async throws -> Int {
        let through = try SQLiteCoding.sequenceValue(checkpoint.sequence)
        let deleted = try write { db -> Int in
            let stored = try Int64.fetchOne(db.cachedStatement(sql: "SELECT sequence FROM audit_checkpoint WHERE id = 1"))
            if let stored, stored >= through { return 0 }
            try db.cachedStatement(sql: "DELETE FROM audit_log WHERE sequence <= ?").execute(arguments: [through])
            let deleted = db.changesCount
            try db.cachedStatement(sql: """
                INSERT INTO audit_checkpoint (id, sequence, mac, created_at, key_version, seal) VALUES (1, ?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (id) DO UPDATE SET sequence = ?1, mac = ?2, created_at = ?3, key_version = ?4, seal = ?5
                """).execute(arguments: [
                    through, Data(checkpoint.mac), SQLiteCoding.micros(checkpoint.createdAt), Int64(checkpoint.keyVersion),
                    Data(checkpoint.seal),
                ])
            return deleted
        }
        logger.info("audit records purged", metadata: ["through": "\(checkpoint.sequence)", "count": "\(deleted)"])
        return deleted
    }
}
