import GRDB

/// Schema migration "v2": key rotation, re-encryption and retirement.
///
/// Adds, in place (existing v1 rows keep their data and get the defaults):
/// - `data_keys.encryption_count` — how many values the key has sealed (puts and
///   re-encryptions), kept exact inside write transactions;
/// - `workspaces.min_dek_version` — data-key versions below it are retired;
/// - `workspaces.max_dek_age_seconds`, `workspaces.max_dek_encryptions` — the workspace's
///   rotation-policy override (both NULL: no override);
/// - `workspaces.last_dek_version` — the highest data-key version the workspace ever had, so a
///   destroyed version number is never reused (filled from the existing data keys);
/// - index `secret_versions_dek(workspace_id, dek_version, name, version)` — re-encryption
///   pages walk one data-key version in (name, version) order, and usage counts read only the
///   index.
enum SQLiteSchemaV2 {
    static let identifier = "v2"

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(identifier) { db in
            try db.execute(sql: """
                ALTER TABLE data_keys ADD COLUMN encryption_count INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE workspaces ADD COLUMN min_dek_version INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE workspaces ADD COLUMN max_dek_age_seconds REAL;
                ALTER TABLE workspaces ADD COLUMN max_dek_encryptions INTEGER;
                ALTER TABLE workspaces ADD COLUMN last_dek_version INTEGER NOT NULL DEFAULT 0;
                UPDATE workspaces SET last_dek_version = MAX(primary_dek_version,
                    COALESCE((SELECT MAX(version) FROM data_keys WHERE data_keys.workspace_id = workspaces.id), 0));
                CREATE INDEX secret_versions_dek ON secret_versions(workspace_id, dek_version, name, version);
                """)
        }
    }
}
