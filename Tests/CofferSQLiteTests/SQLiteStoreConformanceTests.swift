import Coffer
import CofferSQLite
import CofferStoreConformance
import Foundation
import Logging
import Testing

/// Runs every ``StoreConformance`` check against a fresh SQLite store in its own directory.
@Suite("SQLiteStore conformance")
struct SQLiteStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(check: StoreConformance.Check) async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: Logger(label: "test"))
        try await check.run(store)
    }
}
