import Coffer
import CofferSQLite
import Foundation
import GRDB
import Testing

/// Schema versioning, and databases that are not (or no longer) valid Coffer stores.
@Suite("SQLiteStore schema")
struct SQLiteStoreSchemaTests {
    typealias S = StoreTestSupport

    @Test func reopeningIsIdempotentAndKeepsData() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        do {
            let store = try SQLiteStore(path: path, logger: S.logger)
            try await S.createWorkspace(store, "w")
            try await S.put(store, "w", "s", value: [9, 9])
        }
        for _ in 0..<2 {
            let store = try SQLiteStore(path: path, logger: S.logger)
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 1)?.ciphertext == [9, 9])
        }
        let queue = try DatabaseQueue(path: path)
        let ids = try await queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(ids == ["v1", "v2", "v3", "v4"])
        let appID = try await queue.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") }
        #expect(appID == 0x436F_6652)
    }

    @Test func newerSchemaIsRefused() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        do {
            let store = try SQLiteStore(path: path, logger: S.logger)
            try await S.createWorkspace(store, "w")
        }
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v2-from-the-future')") }
        }
        let error = #expect(throws: VaultError.self) { try SQLiteStore(path: path, logger: S.logger) }
        guard case .storeCorrupted(let why)? = error else {
            Issue.record("expected storeCorrupted, got \(String(describing: error))")
            return
        }
        #expect(why.contains("newer version of Coffer"))
        #expect(why.contains("v2-from-the-future"))
    }

    @Test func garbageFileIsRefusedAndNotModified() throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage, attributes: [.posixPermissions: 0o600]))
        let error = #expect(throws: VaultError.self) { try SQLiteStore(path: path, logger: S.logger) }
        guard case .storeCorrupted(let why)? = error else {
            Issue.record("expected storeCorrupted, got \(String(describing: error))")
            return
        }
        #expect(why.contains(path))
        #expect(S.bytes(path) == garbage)
    }

    @Test func truncatedDatabaseIsReportedAndNotModified() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        do {
            let store = try SQLiteStore(path: path, logger: S.logger)
            try await S.createWorkspace(store, "w")
            for i in 0..<200 {
                try await S.put(store, "w", "secret-\(i)", value: Array(repeating: UInt8(i & 0xff), count: 2_000))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the WAL is checkpointed on close")
        let full = try #require(S.bytes(path))
        let truncated = full.prefix(full.count / 3)
        try truncated.write(to: URL(fileURLWithPath: path))

        var failure: VaultError?
        do {
            let store = try SQLiteStore(path: path, logger: S.logger)
            _ = try await store.listSecrets(workspace: "w")
            for i in 0..<200 { _ = try await store.secretVersion(workspace: "w", name: "secret-\(i)", version: nil) }
        } catch let error as VaultError {
            failure = error
        }
        switch failure {
        case .storeCorrupted(let why)?, .storeUnavailable(let why)?:
            #expect(why.contains(path))
        default:
            Issue.record("expected storeCorrupted or storeUnavailable, got \(String(describing: failure))")
        }
        #expect(S.bytes(path) == truncated)
    }

    @Test func foreignSQLiteDatabaseIsRefusedAndNotModified() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/other.db"
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)") }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let before = try #require(S.bytes(path))
        let error = #expect(throws: VaultError.self) { try SQLiteStore(path: path, logger: S.logger) }
        guard case .storeCorrupted(let why)? = error else {
            Issue.record("expected storeCorrupted, got \(String(describing: error))")
            return
        }
        #expect(why.contains("not a Coffer store"))
        #expect(S.bytes(path) == before)
    }
}
