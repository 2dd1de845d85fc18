import GRDB

/// Schema migration "v3": workspace lifecycle (soft delete, crypto-shred), retention and the
/// audit log.
///
/// Adds, in place (existing rows keep their data):
/// - `workspaces.key_generation` (TEXT, NULL for workspaces created before v3: their data keys
///   are bound to the bare id), `workspaces.deleted_at`, `workspaces.shredded_at` (INTEGER µs;
///   a shredded tombstone has both set);
/// - partial index `secret_versions_deleted(deleted_at) WHERE deleted_at IS NOT NULL` — the
///   retention purge reads only soft-deleted versions;
/// - `audit_keys(version PK, kek_id, wrapped, created_at)` — the audit MAC key versions,
///   wrapped under the KEK like data keys;
/// - `audit_log(sequence PK, time, actor, action, outcome, workspace, name, version, detail,
///   key_version, mac)` — the chained audit records, with indexes `audit_log_workspace
///   (workspace, sequence)` and `audit_log_time(time)`;
/// - `audit_head` (one row: sequence, mac, key_version, seal) — the chain's end, written with
///   every append;
/// - `audit_checkpoint` (one row: sequence, mac, created_at, key_version, seal) — where
///   verification starts after a retention purge of old records.
enum SQLiteSchemaV3 {
    static let identifier = "v3"

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(identifier) { db in
            try db.execute(sql: """
                ALTER TABLE workspaces ADD COLUMN key_generation TEXT;
                ALTER TABLE workspaces ADD COLUMN deleted_at INTEGER;
                ALTER TABLE workspaces ADD COLUMN shredded_at INTEGER;
                CREATE INDEX secret_versions_deleted ON secret_versions(deleted_at) WHERE deleted_at IS NOT NULL;

                CREATE TABLE audit_keys (
                    version INTEGER NOT NULL PRIMARY KEY,
                    kek_id TEXT NOT NULL,
                    wrapped BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                ) STRICT;

                CREATE TABLE audit_log (
                    sequence INTEGER NOT NULL PRIMARY KEY,
                    time INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    workspace TEXT,
                    name TEXT,
                    version INTEGER,
                    detail TEXT,
                    key_version INTEGER NOT NULL,
                    mac BLOB NOT NULL
                ) STRICT;
                CREATE INDEX audit_log_workspace ON audit_log(workspace, sequence);
                CREATE INDEX audit_log_time ON audit_log(time);

                CREATE TABLE audit_head (
                    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
                    sequence INTEGER NOT NULL,
                    mac BLOB NOT NULL,
                    key_version INTEGER NOT NULL,
                    seal BLOB NOT NULL
                ) STRICT;

                CREATE TABLE audit_checkpoint (
                    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
                    sequence INTEGER NOT NULL,
                    mac BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    key_version INTEGER NOT NULL,
                    seal BLOB NOT NULL
                ) STRICT;
                """)
        }
    }
}
