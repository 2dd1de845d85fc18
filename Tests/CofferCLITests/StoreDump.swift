import GRDB

/// A logical dump of a SQLite database: every row of every table, in a stable order. The audit
/// tables are left out unless `includeAudit`: every operation, failures included, appends to
/// them by design, while the data tables must not change on a failure.
enum StoreDump {
    static func rows(ofDatabaseAt path: String, includeAudit: Bool = false) throws -> [String] {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: path, configuration: config)
        return try db.read { db in
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var out: [String] = []
            for table in tables where includeAudit || !table.hasPrefix("audit_") {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier)")
                out += rows.map { "\(table): \($0)" }.sorted()
            }
            return out
        }
    }
}
