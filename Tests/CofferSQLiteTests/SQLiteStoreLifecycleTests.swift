@_spi(Testing) import CofferSQLite
import Coffer
import CofferCrypto
import Foundation
import GRDB
import Testing

/// SQLite specifics of the lifecycle: the v2 → v3 migration, what a shred leaves in the file,
/// and the fast read path on deleted workspaces.
@Suite("SQLiteStore lifecycle")
struct SQLiteStoreLifecycleTests {
    typealias S = StoreTestSupport

    /// A database at schema v2 (as the previous Coffer left it) with two workspaces.
    static func makeV2Database(at path: String) throws {
        try SQLiteStore.migrateForTesting(path: path, upTo: "v2")
        let kek = try KEKIdentifier(bytes: Array(repeating: 7, count: 16)).description
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                INSERT INTO workspaces (id, created_at, primary_dek_version, min_dek_version, last_dek_version)
                VALUES ('acme', 1000000, 2, 1, 2), ('beta', 2000000, 1, 1, 1);
                INSERT INTO data_keys (workspace_id, version, kek_id, wrapped, created_at, encryption_count)
                VALUES ('acme', 1, ?1, x'0102', 1000000, 1), ('acme', 2, ?1, x'0304', 1500000, 1),
                       ('beta', 1, ?1, x'0506', 2000000, 1);
                INSERT INTO secrets VALUES ('acme', 'db', 3), ('beta', 'api', 1);
                INSERT INTO secret_versions (workspace_id, name, version, dek_version, ciphertext, kind, labels, created_at, deleted_at)
                VALUES ('acme', 'db', 2, 1, x'AA', 'raw', '{}', 1100000, 1200000),
                       ('acme', 'db', 3, 2, x'BB', 'raw', '{}', 1600000, NULL),
                       ('beta', 'api', 1, 1, x'CC', 'raw', '{}', 2100000, NULL);
                """, arguments: [kek])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    @Test func v2DatabaseMigratesToV3KeepingEverythingReadable() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/v2.db"
        try Self.makeV2Database(at: path)
        let before = try await DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(before == ["v1", "v2"])
        let store = try SQLiteStore(path: path, logger: S.logger)
        let (ids, tables) = try await DatabaseQueue(path: path).read { db in
            (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"))
        }
        #expect(ids == ["v1", "v2", "v3", "v4"])
        for table in ["audit_checkpoint", "audit_head", "audit_keys", "audit_log"] { #expect(tables.contains(table)) }
        let workspaces = try await store.listWorkspaces()
        #expect(workspaces.map(\.id) == ["acme", "beta"])
        #expect(workspaces.allSatisfy { $0.keyGeneration == nil && $0.deletedAt == nil && $0.shreddedAt == nil })
        let keys = try await store.dataKeys(workspace: "acme")
        #expect(keys.map(\.version) == [1, 2])
        #expect(keys.allSatisfy { $0.keyGeneration == nil && $0.wrapBinding == "acme" })
        #expect(try await store.secretVersion(workspace: "acme", name: "db", version: nil)?.ciphertext == [0xBB])
        #expect(try await store.secretVersion(workspace: "acme", name: "db", version: 2)?.info.deletedAt != nil)
        #expect(try await store.history(workspace: "beta", name: "api").map(\.version) == [1])
        #expect(try await store.auditHead() == .genesis)
        // The migrated store works as a v3 one: retention, deletion, numbering.
        let purged = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: Date(timeIntervalSince1970: 2), limit: 10)
        #expect(purged.map { "\($0.workspace)/\($0.name)#\($0.version)" } == ["acme/db#2"])
        #expect(try await S.put(store, "acme", "db", value: [1]).version == 4)
        #expect(try await store.setWorkspaceDeleted("beta", at: Date()))
        #expect(try await store.secretVersion(workspace: "beta", name: "api", version: nil) == nil)
        // Reopening does not migrate again, and the state persists.
        let reopened = try SQLiteStore(path: path, logger: S.logger)
        #expect(try await reopened.workspace("beta")?.deletedAt != nil)
        #expect(try await reopened.secretVersion(workspace: "acme", name: "db", version: nil)?.ciphertext == [1])
    }

    @Test func shredLeavesOnlyTheTombstoneRow() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/c.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "gone")
        try await S.createWorkspace(store, "kept")
        for i in 0..<5 { try await S.put(store, "gone", "s\(i)", value: Array("sealed-gone-\(i)".utf8)) }
        try await S.put(store, "kept", "s", value: [7])
        let result = try #require(try await store.shredWorkspace("gone", now: Date(), newKeyGeneration: try RandomToken.hex()))
        #expect(result == WorkspaceShredResult(dataKeyVersionsDestroyed: [1], secretVersionsDestroyed: 5))
        let counts = try await DatabaseQueue(path: path).read { db in
            try ["data_keys", "secrets", "secret_versions"].map { table in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE workspace_id = 'gone'") ?? -1
            }
        }
        #expect(counts == [0, 0, 0])
        #expect(try await store.secretVersion(workspace: "kept", name: "s", version: nil)?.ciphertext == [7])
        // secure_delete zeroed the freed content and the shred truncated the WAL: neither the
        // database file nor its -wal file holds it any more.
        let file = try #require(S.bytes(path))
        #expect(file.range(of: Data("sealed-gone-".utf8)) == nil)
        let wal = S.bytes(path + "-wal") ?? Data()
        #expect(wal.range(of: Data("sealed-gone-".utf8)) == nil)
    }

    @Test func fastReadPathHidesADeletedWorkspaceUnderConcurrentReads() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/c.db", logger: S.logger)
        try await S.createWorkspace(store, "w")
        try await S.put(store, "w", "s", value: [1])
        // Warm the readers (prepared statements) first.
        for _ in 0..<10 { #expect(try await store.secretVersion(workspace: "w", name: "s", version: nil) != nil) }
        #expect(try await store.setWorkspaceDeleted("w", at: Date()))
        let seen = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var found = 0
                    for v in [nil, UInt32(1)] + Array(repeating: nil, count: 20) {
                        if try await store.secretVersion(workspace: "w", name: "s", version: v) != nil { found += 1 }
                    }
                    return found
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(seen == 0)
        #expect(try await store.setWorkspaceDeleted("w", at: nil))
        #expect(try await store.secretVersion(workspace: "w", name: "s", version: 1)?.ciphertext == [1])
    }
}
