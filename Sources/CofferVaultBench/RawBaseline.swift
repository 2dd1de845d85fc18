import Foundation
import GRDB

/// The raw GRDB side of the benchmark: a table with the same primary key as the store's
/// `secret_versions` (`workspace_id, name, version`, STRICT, rowid table) holding a 290-byte
/// blob, on its own file in the same directory, opened with the same `DatabasePool`
/// configuration as ``SQLiteStore`` (WAL, synchronous NORMAL, foreign keys on, 5 s busy
/// timeout, 5 readers).
///
/// Selects are measured three ways, so the cost of GRDB's access paths is visible:
/// - `pool.read`: the documented GRDB read (DEFERRED transaction + schema check + statement);
/// - `pool.unsafeRead`: no transaction (one statement is atomic on its own);
/// - `connection`: one long-lived read-only `DatabaseQueue` used synchronously (no pool).
final class RawBaseline: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    let pool: DatabasePool
    let reader: DatabaseQueue
    let workspace = "bench"
    private static let insertSQL =
        "INSERT INTO raw_versions (workspace_id, name, version, ciphertext) VALUES (?, ?, ?, ?)"
    private static let selectSQL =
        "SELECT ciphertext FROM raw_versions WHERE workspace_id = ? AND name = ? AND version = ?"

    init(path: String) throws {
        pool = try BenchPool.open(path: path, label: "bench.raw")
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE raw_versions (
                    workspace_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    ciphertext BLOB NOT NULL,
                    PRIMARY KEY (workspace_id, name, version)
                ) STRICT
                """)
        }
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(5)
        reader = try DatabaseQueue(path: path, configuration: readOnly)
    }

    /// One write transaction inserting one row.
    func insert(name: String, blob: [UInt8]) throws {
        try pool.write { db in
            try db.cachedStatement(sql: Self.insertSQL).execute(arguments: [workspace, name, 1, Data(blob)])
        }
    }

    /// Select by primary key through `DatabasePool.read`.
    func selectRead(name: String) throws -> Int {
        try pool.read { db in
            try Data.fetchOne(db.cachedStatement(sql: Self.selectSQL), arguments: [workspace, name, 1])?.count ?? -1
        }
    }

    /// Select by primary key through `DatabasePool.unsafeRead`.
    func selectUnsafeRead(name: String) throws -> Int {
        try pool.unsafeRead { db in
            try Data.fetchOne(db.cachedStatement(sql: Self.selectSQL), arguments: [workspace, name, 1])?.count ?? -1
        }
    }

    /// Select by primary key on one long-lived read-only connection.
    func selectConnection(name: String) throws -> Int {
        try reader.inDatabase { db in
            try Data.fetchOne(db.cachedStatement(sql: Self.selectSQL), arguments: [workspace, name, 1])?.count ?? -1
        }
    }
}
