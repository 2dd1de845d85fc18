import GRDB

/// The `DatabasePool` set-up both raw baselines use: the same settings as `SQLiteStore`
/// (WAL, `synchronous = NORMAL`, foreign keys on, 5 s busy timeout, 5 readers), so the raw rows
/// and the vault rows differ only in what they execute. `secureDelete` also sets the store's
/// `PRAGMA secure_delete = ON` on every connection (`--put-breakdown`, which runs the store's
/// statements on the store's own files).
enum BenchPool {
    static func open(path: String, label: String, secureDelete: Bool = false) throws -> DatabasePool {
        var config = Configuration()
        config.label = label
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        config.maximumReaderCount = 5
        config.journalMode = .wal
        if secureDelete { config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") } }
        let pool = try DatabasePool(path: path, configuration: config)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return pool
    }
}
