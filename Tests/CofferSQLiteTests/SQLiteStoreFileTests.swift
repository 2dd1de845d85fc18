import Coffer
@_spi(Testing) import CofferSQLite
import Foundation
import GRDB
import Testing

/// The database file on disk: permissions, journal mode, locking between connections.
@Suite("SQLiteStore file")
struct SQLiteStoreFileTests {
    typealias S = StoreTestSupport

    @Test func databaseWalAndShmAreOwnerOnly() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "w")
        try await S.put(store, "w", "s", value: [1, 2, 3])
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) exists")
            #expect(S.mode(file) == 0o600, "\(file) mode")
        }
    }

    @Test func existingWorldReadableFileIsTightened() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(S.mode(path) == 0o644)
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "w")
        #expect(S.mode(path) == 0o600)
        #expect(S.mode(path + "-wal") == 0o600)
        #expect(S.mode(path + "-shm") == 0o600)
    }

    @Test func journalModeIsWAL() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "w")
        let queue = try DatabaseQueue(path: path)
        let mode = try await queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let fk = try await queue.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(fk == 1) // GRDB default; the store sets it too
    }

    @Test func missingDirectoryIsStoreUnavailableNamingThePath() throws {
        let dir = try TempDirectory()
        let path = dir.path + "/no/such/dir/coffer.db"
        do {
            _ = try SQLiteStore(path: path, logger: S.logger)
            Issue.record("opening \(path) should fail")
        } catch let error as VaultError {
            guard case .storeUnavailable(let why) = error else {
                Issue.record("expected storeUnavailable, got \(error)")
                return
            }
            #expect(why.contains(path))
        }
    }

    @Test func writeLockedByAnotherConnectionTimesOutAsStoreUnavailable() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        let store = try SQLiteStore(path: path, logger: S.logger, options: .init(busyTimeout: 0.2))
        try await S.createWorkspace(store, "w")
        // Another connection (as another process would) holds the write lock.
        let other = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = Thread {
            // A write transaction (BEGIN IMMEDIATE) that stays open until released.
            try? other.write { _ in
                locked.signal()
                release.wait()
            }
        }
        holder.start()
        locked.wait()
        let started = Date()
        do {
            try await S.put(store, "w", "s", value: [1])
            Issue.record("put should time out")
        } catch let error as VaultError {
            guard case .storeUnavailable(let why) = error else {
                Issue.record("expected storeUnavailable, got \(error)")
                return
            }
            #expect(why.contains("locked by another process"))
        }
        #expect(Date().timeIntervalSince(started) >= 0.15)
        // Reads still work while the writer is blocked (WAL).
        #expect(try await store.workspace("w") != nil)
        release.signal()
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await S.put(store, "w", "s", value: [1]).version == 1)
    }

    @Test func fullSynchronousOptionWorks() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: S.logger, options: .init(synchronous: .full))
        try await S.createWorkspace(store, "w")
        #expect(try await S.put(store, "w", "s", value: [1]).version == 1)
        #expect(try store.writerPragma("synchronous") == "2") // FULL
    }

    @Test func defaultSynchronousIsNormalAndBusyTimeoutIsSet() throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: S.logger)
        #expect(try store.writerPragma("synchronous") == "1") // NORMAL
        #expect(try store.writerPragma("busy_timeout") == "5000")
        #expect(try store.writerPragma("foreign_keys") == "1")
        #expect(try store.writerPragma("journal_mode") == "wal")
    }
}
