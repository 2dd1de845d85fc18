import GRDB

/// Schema migration "v4": drops the audit log's time index.
///
/// `audit_log_time(time)` was written by every put (a leaf page of its own in every commit's WAL
/// frames, ~1.1 of 9.5 frames per put, each frame costing its write and its share of the
/// checkpoint's fsync; BENCHMARKS.md, issue 14) but served only two rare reads, which now walk
/// the log in sequence order instead (``SQLiteStore/lastAuditSequence(before:)`` for retention
/// and the `since` filter of ``SQLiteStore/auditRecords(_:)``). Records and the other index
/// (`audit_log_workspace`) are unchanged.
enum SQLiteSchemaV4 {
    static let identifier = "v4"

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(identifier) { db in
            try db.execute(sql: "DROP INDEX IF EXISTS audit_log_time")
        }
    }
}
