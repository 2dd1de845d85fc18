import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Testing

/// A database written by the v1 schema is migrated to v2 in place, keeping every row.
@Suite("SQLiteStore migration v1 → v2")
struct SQLiteStoreMigrationTests {
    typealias S = StoreTestSupport

    /// The v1 schema exactly as the v1 code created it (migration "v1", application id).
    static func makeV1Database(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE workspaces (
                    id TEXT NOT NULL PRIMARY KEY, created_at INTEGER NOT NULL, primary_dek_version INTEGER NOT NULL
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE data_keys (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    version INTEGER NOT NULL, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, version)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE secrets (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, last_version INTEGER NOT NULL, PRIMARY KEY (workspace_id, name)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE secret_versions (
                    workspace_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
                    dek_version INTEGER NOT NULL, ciphertext BLOB NOT NULL, kind TEXT NOT NULL, content_type TEXT,
                    labels TEXT NOT NULL DEFAULT '{}', expires_at INTEGER, created_at INTEGER NOT NULL, deleted_at INTEGER,
                    PRIMARY KEY (workspace_id, name, version),
                    FOREIGN KEY (workspace_id, name) REFERENCES secrets(workspace_id, name) ON DELETE CASCADE
                ) STRICT;
                CREATE INDEX secret_versions_expires_at ON secret_versions(expires_at) WHERE expires_at IS NOT NULL;
                PRAGMA application_id = \(0x436F_6652);
                """)
        }
        try migrator.migrate(queue)
        let kek = try KEKIdentifier(bytes: Array(repeating: 7, count: 16)).description
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO workspaces VALUES ('acme', 1000000, 2), ('beta', 2000000, 1);
                INSERT INTO data_keys VALUES ('acme', 1, ?1, x'0102', 1000000), ('acme', 2, ?1, x'0304', 1500000),
                                             ('beta', 1, ?1, x'0506', 2000000);
                INSERT INTO secrets VALUES ('acme', 'db', 3), ('beta', 'api', 1);
                INSERT INTO secret_versions (workspace_id, name, version, dek_version, ciphertext, kind, labels, created_at, deleted_at)
                VALUES ('acme', 'db', 2, 1, x'AA', 'raw', '{"env":"prod"}', 1100000, 1200000),
                       ('acme', 'db', 3, 2, x'BB', 'raw', '{}', 1600000, NULL),
                       ('beta', 'api', 1, 1, x'CC', 'webhook-secret', '{}', 2100000, NULL);
                """, arguments: [kek])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    @Test func v1DatabaseMigratesInPlaceKeepingData() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/v1.db"
        try Self.makeV1Database(at: path)
        let store = try SQLiteStore(path: path, logger: S.logger)

        let ids = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(ids == ["v1", "v2", "v3", "v4"])
        let acme = try #require(try await store.workspace("acme"))
        #expect(acme.primaryDataKeyVersion == 2)
        #expect(acme.minimumDecryptionVersion == 1)
        #expect(acme.rotationPolicy == nil)
        #expect(abs(acme.createdAt.timeIntervalSince1970 - 1) < 0.000_001)
        #expect(try await store.listWorkspaces().map(\.id) == ["acme", "beta"])
        let keys = try await store.dataKeys(workspace: "acme")
        #expect(keys.map(\.version) == [1, 2])
        #expect(keys.map(\.encryptionCount) == [0, 0])
        #expect(keys.map(\.wrapped.ciphertext) == [[1, 2], [3, 4]])

        let old = try #require(try await store.secretVersion(workspace: "acme", name: "db", version: 2))
        #expect(old.ciphertext == [0xAA])
        #expect(old.info.dataKeyVersion == 1)
        #expect(old.info.metadata.labels == ["env": "prod"])
        #expect(old.info.deletedAt != nil)
        #expect(try await store.secretVersion(workspace: "beta", name: "api", version: nil)?.info.metadata.kind == .webhookSecret)
        #expect(try await store.dataKeyUsage(workspace: "acme") == [
            DataKeyUsage(dataKeyVersion: 1, liveSecretVersions: 0, deletedSecretVersions: 1),
            DataKeyUsage(dataKeyVersion: 2, liveSecretVersions: 1, deletedSecretVersions: 0),
        ])
        // Version numbers continue after the migrated ones.
        #expect(try await S.put(store, "acme", "db", value: [1]).version == 4)
        let rotated = DataKeyRecord(
            workspace: "acme", version: 3,
            wrapped: WrappedDataKey(kekID: try KEKIdentifier(bytes: Array(repeating: 8, count: 16)), ciphertext: [9]),
            createdAt: Date())
        var stale = rotated
        stale.version = 2
        #expect(try await store.rotateDataKey(stale, expectedPrimary: 2) == false)
        #expect(try await store.rotateDataKey(rotated, expectedPrimary: 2))
        await #expect(throws: VaultError.dataKeyInUse(workspace: "acme", versions: [1, 2], count: 3)) {
            try await store.setMinimumDecryptionVersion(workspace: "acme", 3)
        }

        // Reopening does not migrate again.
        _ = try SQLiteStore(path: path, logger: S.logger)
        let indexes = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'secret_versions'")
        }
        #expect(indexes.contains("secret_versions_dek"))
    }
}
