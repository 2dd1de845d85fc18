public import Coffer
public import CofferCrypto
public import Foundation
import GRDB

/// The audit log on SQLite (schema v3, see ``SQLiteSchemaV3``; v4 dropped its time index): audit-key versions, the
/// chained records, the head and the retention checkpoint. Appends run inside one
/// `BEGIN IMMEDIATE` transaction, so the writer lock serialises them across threads and
/// processes: each chain closure sees the head the previous append committed.
extension SQLiteStore {
    // MARK: Audit keys

    /// See ``LifecycleSecretStore/auditKeys()``.
    public func auditKeys() async throws -> [AuditKeyRecord] {
        try Self.storeErrors { try read { db in try Self.auditKeys(db) } }
    }

    private static func auditKeys(_ db: Database) throws -> [AuditKeyRecord] {
        let stmt = try db.cachedStatement(sql: "SELECT version, kek_id, wrapped, created_at FROM audit_keys ORDER BY version")
        return try Row.fetchAll(stmt).map { row in
            let first = SQLiteCheckedRow(row: row) { AuditRowDamage(.key(nil), column: $0) }
            let version = try first.checked(try first.integer(0, "version"), "version", SQLiteCoding.version)
            let r = SQLiteCheckedRow(row: row) { AuditRowDamage(.key(version), column: $0) }
            return AuditKeyRecord(
                version: version,
                wrapped: WrappedDataKey(
                    kekID: try r.checked(try r.text(1, "kek_id"), "kek_id") { try KEKIdentifier(parsing: $0) },
                    ciphertext: try r.blob(2, "wrapped")),
                createdAt: SQLiteCoding.date(micros: try r.integer(3, "created_at")))
        }
    }

    /// `body`, with a damaged audit row reported as ``VaultError/storeCorrupted(_:)`` (reads
    /// other than ``readAuditSnapshot(pageSize:state:records:)``).
    static func storeErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let damage as AuditRowDamage {
            throw damage.storeError
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
        let stored = try storeErrors { try storedAuditHead(db) }
        let head = stored ?? .genesis
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
            try SQLiteDirect.execute(insert, in: db, [
                .integer(try SQLiteCoding.sequenceValue(record.sequence)), .integer(SQLiteCoding.micros(e.time)), .text(e.actor),
                .text(e.action.rawValue), .text(e.outcome.rawValue), .text(e.workspace), .text(e.name),
                .integer(e.version.map { Int64($0) }), .text(e.detail), .integer(Int64(record.keyVersion)), .blob(record.mac),
            ])
        }
        // The head row was just read: update it, or create it on the first append (a plain
        // UPDATE is cheaper than an upsert; the writer lock keeps the row as read).
        let changed = try SQLiteDirect.execute(db.cachedStatement(sql: stored == nil ? Self.headInsert : Self.headUpdate), in: db, [
            .integer(try SQLiteCoding.sequenceValue(newHead.sequence)), .blob(newHead.mac), .integer(Int64(newHead.keyVersion)),
            .blob(newHead.seal),
        ])
        guard changed == 1 else { throw VaultError.storeCorrupted("the audit head row vanished during an append") }
        return newHead
    }

    /// The first head (the row does not exist before the first append).
    static let headInsert = "INSERT INTO audit_head (id, sequence, mac, key_version, seal) VALUES (1, ?1, ?2, ?3, ?4)"
    /// Every later head.
    static let headUpdate = "UPDATE audit_head SET sequence = ?1, mac = ?2, key_version = ?3, seal = ?4 WHERE id = 1"

    /// The stored head, or genesis.
    private static func auditHead(_ db: Database) throws -> AuditChainHead {
        try storeErrors { try storedAuditHead(db) } ?? .genesis
    }

    /// The stored head; nil when there is no head row.
    private static func storedAuditHead(_ db: Database) throws -> AuditChainHead? {
        // Read on every put: through the C API, each column checked.
        let stmt = try db.cachedStatement(sql: "SELECT sequence, mac, key_version, seal FROM audit_head WHERE id = 1")
        guard let columns = try SQLiteDirect.firstRow(stmt, in: db, []) else { return nil }
        func integer(_ index: Int, _ column: String) throws -> Int64 {
            guard case .integer(let v) = columns[index] else { throw AuditRowDamage(.head, column: column) }
            return v
        }
        func blob(_ index: Int, _ column: String) throws -> [UInt8] {
            guard case .blob(let v) = columns[index] else { throw AuditRowDamage(.head, column: column) }
            return v
        }
        func checked<T>(_ column: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch { throw AuditRowDamage(.head, column: column) }
        }
        return AuditChainHead(
            sequence: try checked("sequence") { try SQLiteCoding.sequence(try integer(0, "sequence")) },
            mac: try blob(1, "mac"),
            keyVersion: try checked("key_version") { try SQLiteCoding.version(try integer(2, "key_version")) },
            seal: try blob(3, "seal"))
    }

    /// See ``LifecycleSecretStore/auditHead()``.
    public func auditHead() async throws -> AuditChainHead {
        try read { db in try Self.auditHead(db) }
    }

    /// See ``LifecycleSecretStore/auditCheckpoint()``.
    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        try Self.storeErrors { try read { db in try Self.auditCheckpoint(db) } }
    }

    private static func auditCheckpoint(_ db: Database) throws -> AuditCheckpoint? {
        let stmt = try db.cachedStatement(sql: """
            SELECT sequence, mac, created_at, key_version, seal FROM audit_checkpoint WHERE id = 1
            """)
        return try Row.fetchOne(stmt).map { row in
            let r = SQLiteCheckedRow(row: row) { AuditRowDamage(.checkpoint, column: $0) }
            return AuditCheckpoint(
                sequence: try r.checked(try r.integer(0, "sequence"), "sequence", SQLiteCoding.sequence), mac: try r.blob(1, "mac"),
                createdAt: SQLiteCoding.date(micros: try r.integer(2, "created_at")),
                keyVersion: try r.checked(try r.integer(3, "key_version"), "key_version", SQLiteCoding.version),
                seal: try r.blob(4, "seal"))
        }
    }

    /// See ``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``: one read
    /// transaction, so one WAL snapshot, for every statement.
    public func readAuditSnapshot(
        pageSize: Int, state: (AuditSnapshot) throws -> Bool, records: ([AuditRecord]) throws -> Bool
    ) async throws {
        let limit = max(1, pageSize)
        try snapshotRead { db in
            let checkpoint = try Self.auditCheckpoint(db)
            let snapshot = AuditSnapshot(head: try Self.storedAuditHead(db), checkpoint: checkpoint, keys: try Self.auditKeys(db))
            guard try state(snapshot) else { return }
            let stmt = try db.cachedStatement(sql: """
                SELECT \(Self.auditColumns) FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?
                """)
            var after = try SQLiteCoding.sequenceValue(checkpoint?.sequence ?? 0)
            while true {
                let rows = try Row.fetchAll(stmt, arguments: [after, limit])
                let (more, last) = try AuditSnapshot.deliver(rows, decode: Self.auditRecord, to: records)
                guard more, let last else { return }
                after = try SQLiteCoding.sequenceValue(last)
            }
        }
    }

    static let auditColumns = "sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac"

    /// See ``LifecycleSecretStore/auditRecords(_:)``. The workspace filter walks the index
    /// `audit_log_workspace(workspace, sequence)`; otherwise the primary key. `since` filters the
    /// walk (no time index since schema v4), so every record at or after it is returned, in
    /// sequence order, even one that follows an older record because the clock went backwards.
    public func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] {
        guard query.limit > 0 else { return [] }
        var conditions = ["sequence > ?1"]
        if query.workspace != nil { conditions.append("workspace = ?2") }
        if query.since != nil { conditions.append("time >= ?3") }
        let sql = """
            SELECT \(Self.auditColumns)
            FROM audit_log WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT ?4
            """
        let after = try SQLiteCoding.sequenceValue(query.afterSequence)
        let arguments: StatementArguments = [after, query.workspace, query.since.map(SQLiteCoding.micros), query.limit]
        return try Self.storeErrors {
            try read { db in
                try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.auditRecord)
            }
        }
    }

    /// Decodes one `audit_log` row (``auditColumns``), checking every column.
    /// - Throws: ``AuditRowDamage`` naming the record.
    private static func auditRecord(_ row: Row) throws -> AuditRecord {
        let first = SQLiteCheckedRow(row: row) { AuditRowDamage(.record(nil), column: $0) }
        let sequence = try first.checked(try first.integer(0, "sequence"), "sequence", SQLiteCoding.sequence)
        let r = SQLiteCheckedRow(row: row) { AuditRowDamage(.record(sequence), column: $0) }
        let action = try r.checked(try r.text(3, "action"), "action") { text in
            guard let action = AuditAction(rawValue: text) else { throw VaultError.storeCorrupted("unknown action") }
            return action
        }
        let outcome = try r.checked(try r.text(4, "outcome"), "outcome") { text in
            guard let outcome = AuditOutcome(rawValue: text) else { throw VaultError.storeCorrupted("unknown outcome") }
            return outcome
        }
        let version = try r.checked(try r.optionalInteger(7, "version"), "version") { try $0.map(SQLiteCoding.version) }
        return AuditRecord(
            sequence: sequence,
            event: AuditEvent(
                time: SQLiteCoding.date(micros: try r.integer(1, "time")), actor: try r.text(2, "actor"), action: action,
                outcome: outcome, workspace: try r.optionalText(5, "workspace"), name: try r.optionalText(6, "name"),
                version: version, detail: try r.optionalText(8, "detail")),
            keyVersion: try r.checked(try r.integer(9, "key_version"), "key_version", SQLiteCoding.version),
            mac: try r.blob(10, "mac"))
    }

    /// See ``LifecycleSecretStore/lastAuditSequence(before:)``. There is no time index (schema
    /// v4): the log is walked in sequence order from its oldest record and the walk stops at the
    /// first record at or after `cutoff`, so it reads the purgeable records plus one. The answer
    /// is the last record of that leading run. When the clock went backwards, a record older than
    /// `cutoff` that follows a newer one is therefore not counted, and the purge through the
    /// answer can never remove a record at or after `cutoff` (the record order is the chain
    /// order, so only a prefix of the log can go).
    public func lastAuditSequence(before cutoff: Date) async throws -> UInt64? {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT MAX(sequence) FROM audit_log
                WHERE sequence < COALESCE(
                    (SELECT sequence FROM audit_log WHERE time >= ?1 ORDER BY sequence LIMIT 1), 9223372036854775807)
                """)
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
