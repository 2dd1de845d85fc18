import Foundation
import GRDB

/// A second raw GRDB baseline that does exactly the SQL of an unconditional
/// ``SQLiteStore`` put — read and advance (or create) `secrets.last_version`,
/// then insert the `secret_versions` row — on a copy of the store's tables (same columns,
/// keys, foreign keys and index), one write transaction per put. It separates what the
/// store's schema costs (two tables, three B-tree pages per put) from what the vault adds.
final class RawStoreSchema: Sendable {
    // Sendable without @unchecked: the only stored properties are `let`s of Sendable types.
    let pool: DatabasePool
    let workspace = "bench"

    init(path: String) throws {
        pool = try BenchPool.open(path: path, label: "bench.raw-store-schema")
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE workspaces (
                    id TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, primary_dek_version INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE secrets (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, last_version INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, name)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE secret_versions (
                    workspace_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
                    dek_version INTEGER NOT NULL, ciphertext BLOB NOT NULL, kind TEXT NOT NULL,
                    content_type TEXT, labels TEXT NOT NULL DEFAULT '{}', expires_at INTEGER,
                    created_at INTEGER NOT NULL, deleted_at INTEGER,
                    PRIMARY KEY (workspace_id, name, version),
                    FOREIGN KEY (workspace_id, name) REFERENCES secrets(workspace_id, name) ON DELETE CASCADE
                ) STRICT;
                CREATE INDEX secret_versions_expires_at ON secret_versions(expires_at) WHERE expires_at IS NOT NULL;
                INSERT INTO workspaces VALUES ('bench', 0, 1);
                """)
        }
    }

    /// One write transaction: the store's two statements for an unconditional put.
    func put(name: String, blob: [UInt8], now: Int64) throws {
        try pool.write { db in
            let version = try SQLVariants.bump(db, workspace: workspace, name: name)
            try db.cachedStatement(sql: """
                INSERT INTO secret_versions
                    (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [workspace, name, version, 1, Data(blob), "raw", nil, "{}", nil, now])
        }
    }
}
