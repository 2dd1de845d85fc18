import Coffer
import CofferSQLite
import CofferStoreConformance
import Foundation
import Logging
import Testing

/// Runs every lifecycle conformance check against a fresh SQLite store in its own directory.
@Suite("SQLiteStore lifecycle conformance")
struct SQLiteStoreLifecycleConformanceTests {
    @Test(arguments: StoreConformance.lifecycleChecks)
    func lifecycle(check: StoreConformance.LifecycleCheck) async throws {
        let dir = try TempDirectory()
        let store = try SQLiteStore(path: dir.path + "/coffer.db", logger: Logger(label: "test"))
        try await check.run(store)
    }

    @Test func checkNamesAreUnique() {
        let names = StoreConformance.lifecycleChecks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 20)
    }
}
