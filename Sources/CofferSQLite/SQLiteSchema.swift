import Coffer
import GRDB

/// The versioned schema of a Coffer SQLite database.
///
/// Migrations are applied by GRDB's `DatabaseMigrator` and recorded in `grdb_migrations`; a
/// database that lists a migration this code does not know was written by a newer Coffer and
/// is refused. `PRAGMA application_id` marks the file as a Coffer store so that another
/// application's SQLite file is refused instead of having tables added to it.
///
/// Tables (all `STRICT`, metadata in the clear, foreign keys enforced):
/// - `workspaces(id PK, created_at, primary_dek_version)`
/// - `data_keys(workspace_id → workspaces, version, kek_id, wrapped, created_at, PK(workspace_id, version))`
/// - `secrets(workspace_id → workspaces, name, last_version, PK(workspace_id, name))` —
///   `last_version` is the highest version ever written, so numbers are never reused after pruning.
/// - `secret_versions((workspace_id, name) → secrets, version, dek_version, ciphertext, kind,
///   content_type, labels, expires_at, created_at, deleted_at, PK(workspace_id, name, version))`
///
/// Migration "v2" (``SQLiteSchemaV2``) adds rotation state: data-key encryption counts, the
/// minimum decryption version, the rotation-policy override and the highest data-key version.
///
/// Migration "v3" (``SQLiteSchemaV3``) adds the workspace lifecycle (`workspaces.key_generation`,
/// `deleted_at`, `shredded_at`), an index of soft-deleted versions for retention, and the audit
/// log: `audit_keys(version PK, kek_id, wrapped, created_at)`, `audit_log(sequence PK, time,
/// actor, action, outcome, workspace, name, version, detail, key_version, mac)`, and the
/// single-row `audit_head` and `audit_checkpoint`.
///
/// Migration "v4" (``SQLiteSchemaV4``) drops the audit log's time index `audit_log_time`, which
/// every put wrote and only two rare reads used.
///
/// Timestamps are INTEGER microseconds since the Unix epoch (see ``SQLiteCoding``).
enum SQLiteSchema {
    /// `PRAGMA application_id` of a Coffer store: ASCII "CofR".
    static let applicationID: Int32 = 0x436F_6652

    /// Identifiers of the migrations this code knows, oldest first.
    static var knownMigrations: [String] { ["v1", SQLiteSchemaV2.identifier, SQLiteSchemaV3.identifier, SQLiteSchemaV4.identifier] }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE workspaces (
                    id TEXT NOT NULL PRIMARY KEY,
                    created_at INTEGER NOT NULL,
                    primary_dek_version INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE data_keys (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    version INTEGER NOT NULL,
                    kek_id TEXT NOT NULL,
                    wrapped BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, version)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE secrets (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    last_version INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, name)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE secret_versions (
                    workspace_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    dek_version INTEGER NOT NULL,
                    ciphertext BLOB NOT NULL,
                    kind TEXT NOT NULL,
                    content_type TEXT,
                    labels TEXT NOT NULL DEFAULT '{}',
                    expires_at INTEGER,
                    created_at INTEGER NOT NULL,
                    deleted_at INTEGER,
                    PRIMARY KEY (workspace_id, name, version),
                    FOREIGN KEY (workspace_id, name) REFERENCES secrets(workspace_id, name) ON DELETE CASCADE
                ) STRICT;

                CREATE INDEX secret_versions_expires_at ON secret_versions(expires_at) WHERE expires_at IS NOT NULL;

                PRAGMA application_id = \(applicationID);
                """)
        }
        SQLiteSchemaV2.register(in: &migrator)
        SQLiteSchemaV3.register(in: &migrator)
        SQLiteSchemaV4.register(in: &migrator)
        return migrator
    }
}
