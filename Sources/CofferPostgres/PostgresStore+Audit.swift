public import Coffer
public import CofferCrypto
public import Foundation
import NIOCore
import PostgresNIO

/// The audit methods of ``LifecycleSecretStore``.
///
/// The audit tables are store-wide (every workspace), so they have no row-level security and
/// these transactions bind nothing; grants restrict them instead. The application role appends
/// (INSERT on `audit_log`, UPDATE on `audit_head`), reads, and inserts audit keys, but can
/// never UPDATE or DELETE an audit record; purging records, writing the checkpoint and
/// re-wrapping audit keys are maintenance jobs.
extension PostgresStore {
    // MARK: Audit keys

    /// See ``LifecycleSecretStore/auditKeys()``. Application role.
    public func auditKeys() async throws -> [AuditKeyRecord] {
        try await Self.storeErrors {
            try await transaction(.application, .storeWide, operation: "reading audit keys") { connection in
                try await self.auditKeys(connection)
            }
        }
    }

    private func auditKeys(_ connection: PostgresConnection) async throws -> [AuditKeyRecord] {
        try await connection.query("""
            SELECT version, kek_id, wrapped, created_at FROM \(unescaped: tables.auditKeys) ORDER BY version
            """, logger: logger).collect().map { row in
            let first = PostgresCheckedRow(row) { AuditRowDamage(.key(nil), column: $0) }
            let version = try first.decode(0, "version", as: Int64.self, PostgresCoding.version)
            let r = PostgresCheckedRow(row) { AuditRowDamage(.key(version), column: $0) }
            return AuditKeyRecord(
                version: version,
                wrapped: WrappedDataKey(
                    kekID: try r.decode(1, "kek_id", as: String.self) { try KEKIdentifier(parsing: $0) },
                    ciphertext: try r.decode(2, "wrapped", as: ByteBuffer.self, PostgresCoding.bytes)),
                createdAt: try r.decode(3, "created_at", as: Int64.self, PostgresCoding.date))
        }
    }

    /// `body`, with a damaged audit row reported as ``VaultError/storeCorrupted(_:)`` (reads
    /// other than ``readAuditSnapshot(pageSize:state:records:)``).
    static func storeErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let damage as AuditRowDamage {
            throw damage.storeError
        }
    }

    /// See ``LifecycleSecretStore/insertAuditKey(_:)``. Application role.
    public func insertAuditKey(_ record: AuditKeyRecord) async throws -> Bool {
        let t = tables
        return try await transaction(.application, .storeWide, operation: "creating an audit key") { connection in
            try await connection.query("""
                INSERT INTO \(unescaped: t.auditKeys) (version, kek_id, wrapped, created_at)
                VALUES (\(Int64(record.version)), \(record.wrapped.kekID.description),
                        \(PostgresCoding.bytes(record.wrapped.ciphertext)), \(PostgresCoding.micros(record.createdAt)))
                ON CONFLICT (version) DO NOTHING
                RETURNING 1
                """, logger: logger).collect().count == 1
        }
    }

    /// See ``LifecycleSecretStore/rewrapAuditKey(version:expectedKEKID:wrapped:)``. Maintenance
    /// role (KEK rotation).
    public func rewrapAuditKey(version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) async throws -> Bool {
        let t = tables
        return try await transaction(.maintenance, .storeWide, operation: "rewrapping an audit key") { connection in
            try await connection.query("""
                UPDATE \(unescaped: t.auditKeys) SET kek_id = \(wrapped.kekID.description), wrapped = \(PostgresCoding.bytes(wrapped.ciphertext))
                WHERE version = \(Int64(version)) AND kek_id = \(expectedKEKID.description)
                RETURNING 1
                """, logger: logger).collect().count == 1
        }
    }

    // MARK: Audit log

    static let auditColumns = "sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac"

    /// Decodes ``auditColumns``, checking every column.
    /// - Throws: ``AuditRowDamage`` naming the record.
    static func auditRecord(_ row: PostgresRow) throws -> AuditRecord {
        let first = PostgresCheckedRow(row) { AuditRowDamage(.record(nil), column: $0) }
        let sequence = try first.decode(0, "sequence", as: Int64.self) { try PostgresCoding.count($0, what: "audit sequence") }
        let r = PostgresCheckedRow(row) { AuditRowDamage(.record(sequence), column: $0) }
        guard r.cells.count == 11 else { throw AuditRowDamage(.record(sequence), column: "count") }
        let action = try r.decode(3, "action", as: String.self) { text in
            guard let action = AuditAction(rawValue: text) else { throw VaultError.storeCorrupted("unknown action") }
            return action
        }
        let outcome = try r.decode(4, "outcome", as: String.self) { text in
            guard let outcome = AuditOutcome(rawValue: text) else { throw VaultError.storeCorrupted("unknown outcome") }
            return outcome
        }
        return AuditRecord(
            sequence: sequence,
            event: AuditEvent(
                time: try r.decode(1, "time", as: Int64.self, PostgresCoding.date), actor: try r.decode(2, "actor"),
                action: action, outcome: outcome, workspace: try r.decode(5, "workspace"), name: try r.decode(6, "name"),
                version: try r.decode(7, "version", as: Int64?.self) { try $0.map(PostgresCoding.version) },
                detail: try r.decode(8, "detail")),
            keyVersion: try r.decode(9, "key_version", as: Int64.self, PostgresCoding.version),
            mac: try r.decode(10, "mac", as: ByteBuffer.self, PostgresCoding.bytes))
    }

    static func chainHead(_ row: PostgresRow) throws -> AuditChainHead {
        let r = PostgresCheckedRow(row) { AuditRowDamage(.head, column: $0) }
        return AuditChainHead(
            sequence: try r.decode(0, "sequence", as: Int64.self) { try PostgresCoding.count($0, what: "audit head sequence") },
            mac: try r.decode(1, "mac", as: ByteBuffer.self, PostgresCoding.bytes),
            keyVersion: try r.decode(2, "key_version", as: Int64.self, PostgresCoding.version),
            seal: try r.decode(3, "seal", as: ByteBuffer.self, PostgresCoding.bytes))
    }

    static func checkpoint(_ row: PostgresRow) throws -> AuditCheckpoint {
        let r = PostgresCheckedRow(row) { AuditRowDamage(.checkpoint, column: $0) }
        return AuditCheckpoint(
            sequence: try r.decode(0, "sequence", as: Int64.self) { try PostgresCoding.count($0, what: "audit checkpoint sequence") },
            mac: try r.decode(1, "mac", as: ByteBuffer.self, PostgresCoding.bytes),
            createdAt: try r.decode(2, "created_at", as: Int64.self, PostgresCoding.date),
            keyVersion: try r.decode(3, "key_version", as: Int64.self, PostgresCoding.version),
            seal: try r.decode(4, "seal", as: ByteBuffer.self, PostgresCoding.bytes))
    }

    /// See ``LifecycleSecretStore/appendAudit(count:chain:)``. Application role.
    ///
    /// Normally one statement: this instance remembers the head it last wrote
    /// (``PostgresAuditHeadCache``), chains the records after it, and one statement moves the head only
    /// if it is still exactly that one (`UPDATE … WHERE sequence = … AND mac = …`, which waits
    /// for a concurrent append and then re-checks) and inserts the records only if the head
    /// moved, in its own implicit transaction. When another instance appended in between, that
    /// statement changes nothing and the append runs the locked way: three statements in one
    /// transaction — lock and read the head row (`FOR UPDATE`: appends from every instance
    /// serialise here), the same insert-and-move statement, COMMIT; after such a miss the next
    /// appends go the locked way directly for a while (instances of a busy fleet append in
    /// turns, so the guess would mostly miss). Sequences are gapless
    /// because records are only numbered after the head they follow, and a failed append rolls
    /// back its records and its head together. `chain` must return `count` records numbered
    /// `head.sequence + 1 …` and a head naming the last of them; anything else writes nothing.
    public func appendAudit(
        count: Int, chain: @Sendable (_ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> AuditChainHead {
        guard count >= 0 else { throw VaultError.invalidValue("an audit append needs a count of at least 0, not \(count)") }
        if let cached = auditHeadCache.optimisticHead(), count > 0 {
            let (records, newHead) = try Self.checkedChain(chain, after: cached, count: count)
            let moved = try await statement(operation: "appending audit records") { connection in
                try await self.insertAndMoveHead(connection, records, from: cached, to: newHead)
            }
            if moved {
                auditHeadCache.wrote(newHead)
                return newHead
            }
            auditHeadCache.missed()
        }
        let t = tables
        let newHead = try await transaction(.application, .storeWide, operation: "appending audit records") { connection in
            let heads = try await connection.query("""
                SELECT sequence, mac, key_version, seal FROM \(unescaped: t.auditHead) WHERE id FOR UPDATE
                """, logger: logger).collect()
            guard let headRow = heads.first else {
                throw VaultError.storeCorrupted("the audit head row is missing")
            }
            let head = try await Self.storeErrors { try Self.chainHead(headRow) }
            let (records, newHead) = try Self.checkedChain(chain, after: head, count: count)
            if records.isEmpty && newHead == head { return head }
            guard try await self.insertAndMoveHead(connection, records, from: head, to: newHead) else {
                throw VaultError.storeCorrupted("the audit head moved while its row was locked")
            }
            return newHead
        }
        auditHeadCache.wrote(newHead)
        return newHead
    }

    /// `chain(head)`, checked: `count` records numbered from `head.sequence + 1` and a head at
    /// the last of them.
    static func checkedChain(
        _ chain: (AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead), after head: AuditChainHead, count: Int
    ) throws -> (records: [AuditRecord], head: AuditChainHead) {
        let (records, newHead) = try chain(head)
        guard records.count == count,
              records.enumerated().allSatisfy({ $0.element.sequence == head.sequence + UInt64($0.offset) + 1 }),
              newHead.sequence == head.sequence + UInt64(count)
        else {
            throw VaultError.invalidValue(
                "an audit append must add \(count) record(s) numbered from \(head.sequence + 1) and a head at \(head.sequence + UInt64(count))")
        }
        return (records, newHead)
    }

    /// One statement: moves the head from `head` to `newHead` only if it is still exactly
    /// `head`, and inserts `records` (as arrays, `unnest`) only if it moved.
    /// - Returns: whether it moved (false: another append came first; nothing was written).
    private func insertAndMoveHead(
        _ connection: PostgresConnection, _ records: [AuditRecord], from head: AuditChainHead, to newHead: AuditChainHead
    ) async throws -> Bool {
        let t = tables
        let sequences = try records.map { try PostgresCoding.sequenceValue($0.sequence) }
        let times = records.map { PostgresCoding.micros($0.event.time) }
        let actors = records.map(\.event.actor)
        let actions = records.map(\.event.action.rawValue)
        let outcomes = records.map(\.event.outcome.rawValue)
        // PostgresNIO has no arrays of optionals: each nullable column is a value array
        // plus a "present" flag array.
        let workspaces = records.map { $0.event.workspace ?? "" }
        let hasWorkspace = records.map { $0.event.workspace != nil }
        let names = records.map { $0.event.name ?? "" }
        let hasName = records.map { $0.event.name != nil }
        let versions = records.map { Int64($0.event.version ?? 0) }
        let hasVersion = records.map { $0.event.version != nil }
        let details = records.map { $0.event.detail ?? "" }
        let hasDetail = records.map { $0.event.detail != nil }
        let keyVersions = records.map { Int64($0.keyVersion) }
        let macs = records.map { PostgresCoding.bytes($0.mac) }
        let moved = try await connection.query("""
            WITH h AS (
                UPDATE \(unescaped: t.auditHead)
                SET sequence = \(try PostgresCoding.sequenceValue(newHead.sequence)), mac = \(PostgresCoding.bytes(newHead.mac)),
                    key_version = \(Int64(newHead.keyVersion)), seal = \(PostgresCoding.bytes(newHead.seal))
                WHERE id AND sequence = \(try PostgresCoding.sequenceValue(head.sequence)) AND mac = \(PostgresCoding.bytes(head.mac))
                RETURNING 1),
            r AS (
                INSERT INTO \(unescaped: t.auditLog) (\(unescaped: Self.auditColumns))
                SELECT s, tm, a, act, o, CASE WHEN hw THEN w END, CASE WHEN hn THEN n END,
                       CASE WHEN hv THEN v END, CASE WHEN hd THEN d END, k, m
                FROM unnest(\(sequences)::bigint[], \(times)::bigint[], \(actors)::text[], \(actions)::text[],
                            \(outcomes)::text[], \(workspaces)::text[], \(hasWorkspace)::boolean[], \(names)::text[],
                            \(hasName)::boolean[], \(versions)::bigint[], \(hasVersion)::boolean[], \(details)::text[],
                            \(hasDetail)::boolean[], \(keyVersions)::bigint[], \(macs)::bytea[])
                     AS x(s, tm, a, act, o, w, hw, n, hn, v, hv, d, hd, k, m)
                WHERE EXISTS (SELECT 1 FROM h)
                RETURNING 1)
            SELECT (SELECT COUNT(*) FROM h), (SELECT COUNT(*) FROM r)
            """, logger: logger).collect()
        guard let row = moved.first else { throw VaultError.storeCorrupted("the audit append returned no row") }
        let (headsMoved, inserted) = try row.decode((Int64, Int64).self)
        if headsMoved == 0 { return false }
        guard inserted == Int64(records.count) else {
            throw VaultError.storeCorrupted("the audit append inserted \(inserted) of \(records.count) records")
        }
        return true
    }

    /// See ``LifecycleSecretStore/auditHead()``. Application role.
    public func auditHead() async throws -> AuditChainHead {
        try await Self.storeErrors {
            try await transaction(.application, .storeWide, operation: "reading the audit head") { connection in
                try await self.storedAuditHead(connection) ?? .genesis
            }
        }
    }

    private func storedAuditHead(_ connection: PostgresConnection) async throws -> AuditChainHead? {
        try await connection.query(
            "SELECT sequence, mac, key_version, seal FROM \(unescaped: tables.auditHead) WHERE id", logger: logger
        ).collect().first.map(Self.chainHead)
    }

    /// See ``LifecycleSecretStore/auditCheckpoint()``. Application role.
    public func auditCheckpoint() async throws -> AuditCheckpoint? {
        try await Self.storeErrors {
            try await transaction(.application, .storeWide, operation: "reading the audit checkpoint") { connection in
                try await self.auditCheckpoint(connection)
            }
        }
    }

    private func auditCheckpoint(_ connection: PostgresConnection) async throws -> AuditCheckpoint? {
        try await connection.query("""
            SELECT sequence, mac, created_at, key_version, seal FROM \(unescaped: tables.auditCheckpoint) WHERE id
            """, logger: logger).collect().first.map(Self.checkpoint)
    }

    /// See ``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``. Application
    /// role; one `REPEATABLE READ READ ONLY` transaction, so every statement sees the snapshot
    /// its first one took.
    public func readAuditSnapshot(
        pageSize: Int, state: (AuditSnapshot) throws -> Bool, records: ([AuditRecord]) throws -> Bool
    ) async throws {
        let limit = Int64(max(1, pageSize))
        let t = tables
        try await transaction(.application, .storeWide, operation: "reading the audit log") { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let checkpoint = try await self.auditCheckpoint(connection)
            let snapshot = AuditSnapshot(
                head: try await self.storedAuditHead(connection), checkpoint: checkpoint, keys: try await self.auditKeys(connection))
            guard try state(snapshot) else { return }
            var after = Int64(clamping: checkpoint?.sequence ?? 0)
            while true {
                let rows = try await connection.query("""
                    SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: t.auditLog)
                    WHERE sequence > \(after) ORDER BY sequence LIMIT \(limit)
                    """, logger: logger).collect()
                let (more, last) = try AuditSnapshot.deliver(rows, decode: Self.auditRecord, to: records)
                guard more, let last else { return }
                after = Int64(clamping: last)
            }
        }
    }

    /// See ``LifecycleSecretStore/auditRecords(_:)``. Application role.
    public func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] {
        guard query.limit > 0 else { return [] }
        let t = tables
        let after = Int64(clamping: query.afterSequence)
        let since = query.since.map(PostgresCoding.micros)
        let workspace = query.workspace
        return try await Self.storeErrors {
            try await transaction(.application, .storeWide, operation: "reading audit records") { connection in
                try await connection.query("""
                    SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: t.auditLog)
                    WHERE sequence > \(after)
                      AND (\(workspace)::text IS NULL OR workspace = \(workspace)::text COLLATE "C")
                      AND (\(since)::bigint IS NULL OR time >= \(since)::bigint)
                    ORDER BY sequence LIMIT \(Int64(query.limit))
                    """, logger: logger).collect().map(Self.auditRecord)
            }
        }
    }

    /// See ``LifecycleSecretStore/lastAuditSequence(before:)``. Application role.
    public func lastAuditSequence(before cutoff: Date) async throws -> UInt64? {
        let t = tables
        let micros = PostgresCoding.micros(cutoff)
        return try await transaction(.application, .storeWide, operation: "reading audit sequences") { connection in
            let rows = try await connection.query("""
                SELECT MAX(sequence) FROM \(unescaped: t.auditLog)
                WHERE sequence < COALESCE(
                    (SELECT sequence FROM \(unescaped: t.auditLog) WHERE time >= \(micros) ORDER BY sequence LIMIT 1),
                    9223372036854775807)
                """, logger: logger).collect()
            return try rows.first?.decode(Int64?.self).map { try PostgresCoding.count($0, what: "audit sequence") }
        }
    }

    /// See ``LifecycleSecretStore/purgeAudit(through:)``. Maintenance role: the application
    /// role cannot delete audit records or write the checkpoint.
    ///
    /// The checkpoint is an upsert that applies only above the stored sequence (concurrent
    /// purges serialise on its row); only the purge whose checkpoint applied deletes records.
    public func purgeAudit(through checkpoint: AuditCheckpoint) async throws -> Int {
        let t = tables
        let through = Int64(clamping: checkpoint.sequence)
        let deleted = try await transaction(.maintenance, .storeWide, operation: "purging audit records") { connection -> Int in
            let stored = try await connection.query("""
                INSERT INTO \(unescaped: t.auditCheckpoint) AS c (id, sequence, mac, created_at, key_version, seal)
                VALUES (true, \(through), \(PostgresCoding.bytes(checkpoint.mac)), \(PostgresCoding.micros(checkpoint.createdAt)),
                        \(Int64(checkpoint.keyVersion)), \(PostgresCoding.bytes(checkpoint.seal)))
                ON CONFLICT (id) DO UPDATE SET sequence = EXCLUDED.sequence, mac = EXCLUDED.mac, created_at = EXCLUDED.created_at,
                    key_version = EXCLUDED.key_version, seal = EXCLUDED.seal
                WHERE c.sequence < EXCLUDED.sequence
                RETURNING 1
                """, logger: logger).collect()
            guard !stored.isEmpty else { return 0 }
            let rows = try await connection.query("""
                WITH d AS (DELETE FROM \(unescaped: t.auditLog) WHERE sequence <= \(through) RETURNING 1)
                SELECT COUNT(*) FROM d
                """, logger: logger).collect()
            return Int(try rows.first?.decode(Int64.self) ?? 0)
        }
        if deleted > 0 {
            logger.info("audit records purged", metadata: ["count": "\(deleted)", "through": "\(checkpoint.sequence)"])
        }
        return deleted
    }
}
