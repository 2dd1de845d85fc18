import Coffer
import CofferSQLite
import CofferStoreConformance
import Foundation
import Logging
import Testing

/// Runs every rotation conformance check against a fresh SQLite store in its own directory.
@Suite("SQLiteStore rotation conformance")
struct SQLiteStoreRotationConformanceTests {
    @Test(arguments: StoreConformance.rotationChecks)
    func rotation(check: StoreConformance.RotationCheck) async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: Logger(label: "test"))
        try await check.run(store)
    }
}
