@_spi(Testing) import CofferSQLite
import Coffer
import Foundation
import GRDB
import Testing

/// WAL checkpoints off the put's path (``SQLiteStore`` with its background checkpointer).
@Suite("SQLiteStore background WAL checkpoints")
struct SQLiteStoreCheckpointTests {
    typealias S = StoreTestSupport

    static func walSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func writerDoesNotCheckpointOnCommit() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/a.db", logger: S.logger)
        // SQLite reports 0 when the writer's WAL hook is not its automatic checkpoint.
        #expect(try store.writerPragma("wal_autocheckpoint") == "0")
        #expect(store.checkpointStatistics() != nil)
    }

    @Test func backgroundPassesCheckpointAndLetTheWALRestart() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(
            path: dir.path + "/a.db", logger: S.logger, options: .init(), checkpointTrigger: 20, inlineCheckpoint: .max)
        try await S.createWorkspace(store, "w")
        for i in 0..<40 { try await S.put(store, "w", "s\(i)", value: [UInt8](repeating: 1, count: 300)) }
        let burst = try #require(store.checkpointStatistics())
        #expect(burst.passes >= 1)
        #expect(burst.inlineCheckpoints == 0)
        // One put at a time, each followed by its pass: once a pass has copied every frame,
        // the next commit starts the WAL again from its beginning.
        var previous = burst.lastFrames
        var restarted = false
        for i in 0..<40 where !restarted {
            try await S.put(store, "w", "t\(i)", value: [1])
            let stats = try #require(store.checkpointStatistics())
            restarted = stats.lastFrames < previous
            previous = stats.lastFrames
        }
        #expect(restarted)
        #expect(try #require(store.checkpointStatistics()).inlineCheckpoints == 0)
    }

    @Test func writerCheckpointsInlineWhenTheWALPassesItsBound() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/a.db"
        // No background pass ever asked for: the bound alone keeps the WAL short.
        let store = try SQLiteStore(path: path, logger: S.logger, options: .init(), checkpointTrigger: .max, inlineCheckpoint: 60)
        try await S.createWorkspace(store, "w")
        for i in 0..<200 { try await S.put(store, "w", "s\(i)", value: [UInt8](repeating: 1, count: 300)) }
        let stats = try #require(store.checkpointStatistics())
        #expect(stats.passes == 0)
        #expect(stats.inlineCheckpoints >= 1)
        // A put writes well under 40 frames, so the WAL never held more than bound + one put.
        #expect(stats.maximumFrames < 60 + 40)
        #expect(Self.walSize(path) <= 32 + (60 + 40) * (4_096 + 24))
    }

    @Test func closingCheckpointsEverythingAndRemovesTheWAL() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/a.db"
        do {
            let store = try SQLiteStore(path: path, logger: S.logger, options: .init(), checkpointTrigger: 10, inlineCheckpoint: 10_000)
            try await S.createWorkspace(store, "w")
            for i in 0..<50 { try await S.put(store, "w", "s\(i)", value: [UInt8(i)]) }
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
        // The last connection to close ran the final checkpoint and deleted the WAL.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reopened = try SQLiteStore(path: path, logger: S.logger)
        for i in 0..<50 {
            #expect(try await reopened.secretVersion(workspace: "w", name: "s\(i)", version: nil)?.ciphertext == [UInt8(i)])
        }
    }

    @Test func twoStoresOnOneFileCheckpointSideBySide() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/a.db"
        let first = try SQLiteStore(path: path, logger: S.logger, options: .init(), checkpointTrigger: 10, inlineCheckpoint: 200)
        let second = try SQLiteStore(path: path, logger: S.logger, options: .init(), checkpointTrigger: 10, inlineCheckpoint: 200)
        try await S.createWorkspace(first, "w")
        for i in 0..<100 {
            try await S.put(i.isMultiple(of: 2) ? first : second, "w", "s", value: [UInt8(i)])
        }
        #expect(try await second.secretVersion(workspace: "w", name: "s", version: nil)?.info.version == 100)
        #expect(try await first.secretVersion(workspace: "w", name: "s", version: nil)?.ciphertext == [99])
        let frames = try #require(first.checkpointStatistics()).maximumFrames
        #expect(frames < 200 + 40)
    }
}
