import Coffer
import CofferSQLite
import Foundation
import Testing

/// `secretVersion` runs on dedicated read-only connections, and on the GRDB pool when all of
/// them are busy: both paths must return the same rows and see every commit at once.
@Suite("SQLiteStore read path")
struct SQLiteStoreReadPathTests {
    typealias S = StoreTestSupport

    @Test func concurrentReadsBeyondTheReaderLimitAgree() async throws {
        let dir = try TempDirectory()
        // One reader connection: concurrent calls overflow to the pool.
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: S.logger, options: .init(maximumReaderCount: 1))
        try await S.createWorkspace(store, "w")
        for i in 0..<20 { try await S.put(store, "w", "s\(i % 4)", value: [UInt8(i), 1, 2]) }
        let expected = try await store.secretVersion(workspace: "w", name: "s1", version: nil)
        #expect(expected?.info.version == 5)
        #expect(expected?.ciphertext == [17, 1, 2])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for _ in 0..<200 {
                        let latest = try await store.secretVersion(workspace: "w", name: "s1", version: nil)
                        #expect(latest == expected)
                        let exact = try await store.secretVersion(workspace: "w", name: "s\(t % 4)", version: 2)
                        #expect(exact?.info.version == 2)
                        #expect(exact?.ciphertext == [UInt8(4 + t % 4), 1, 2])
                        #expect(try await store.secretVersion(workspace: "w", name: "missing", version: nil) == nil)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func readsSeeEachCommitImmediately() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: S.logger)
        try await S.createWorkspace(store, "w")
        for i in 1...50 {
            try await S.put(store, "w", "s", value: [UInt8(i)])
            let got = try await store.secretVersion(workspace: "w", name: "s", version: nil)
            #expect(got?.info.version == UInt32(i))
            #expect(got?.ciphertext == [UInt8(i)])
        }
        _ = try await store.setDeleted(workspace: "w", name: "s", versions: [50], deletedAt: Date())
        #expect(try await store.secretVersion(workspace: "w", name: "s", version: nil)?.info.deletedAt != nil)
        #expect(try await store.secretVersion(workspace: "w", name: "s", version: 49)?.info.deletedAt == nil)
    }

    @Test func unconditionalPutIntoMissingWorkspaceIsWorkspaceNotFound() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: S.logger)
        await #expect(throws: VaultError.workspaceNotFound("nope")) {
            try await S.put(store, "nope", "s", value: [1])
        }
        #expect(try await store.secretVersion(workspace: "nope", name: "s", version: nil) == nil)
    }
}
