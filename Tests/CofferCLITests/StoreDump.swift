import GRDB

/// A logical dump of a SQLite database: every row of every table, in a stable order.
enum StoreDump {
    static func rows(ofDatabaseAt path: String) throws -> [String] {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: path, configuration: config)
        return try db.read { db in
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var out: [String] = []
            for table in tables {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier)")
                out += rows.map { "\(table): \($0)" }.sorted()
            }
            return out
        }
    }
}
