import Foundation
import Testing
@_spi(Testing) import CofferSQLite
import CofferCrypto

/// Issue 10 §4: `PRAGMA secure_delete` is set by Coffer on every connection, not left to the
/// system SQLite's build default, and stays on after a shred (which used to switch it off).
@Suite struct SQLiteSecureDeleteTests {
    @Test func secureDeleteIsOnAndStaysOn() async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger)
        #expect(try store.writerPragma("secure_delete") == "1")
        try await StoreTestSupport.createWorkspace(store, "gone")
        try await StoreTestSupport.put(store, "gone", "s", value: [1, 2, 3])
        _ = try await store.shredWorkspace("gone", now: Date(), newKeyGeneration: try RandomToken.hex())
        #expect(try store.writerPragma("secure_delete") == "1")
        // A second store on the same file: its connections are set up the same way.
        let again = try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger)
        #expect(try again.writerPragma("secure_delete") == "1")
    }
}
