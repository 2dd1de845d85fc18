import Coffer
import CofferPostgres
import CofferStoreConformance
import Testing

/// Runs every ``StoreConformance`` check, unchanged, against a PostgresStore on a fresh schema
/// (application and maintenance roles as docs/POSTGRES.md provisions them).
@Suite("PostgresStore conformance", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresStoreConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(check: StoreConformance.Check) async throws {
        try await PostgresTestEnvironment.withStore { store, _ in
            try await check.run(store)
        }
    }
}

/// Runs every ``StoreConformance`` rotation check, unchanged, against a PostgresStore on a fresh
/// schema.
@Suite("PostgresStore rotation conformance", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresStoreRotationConformanceTests {
    @Test(arguments: StoreConformance.rotationChecks)
    func rotation(check: StoreConformance.RotationCheck) async throws {
        try await PostgresTestEnvironment.withStore { store, _ in
            try await check.run(store)
        }
    }
}

/// Runs every ``StoreConformance`` lifecycle check, unchanged, against a PostgresStore on a fresh
/// schema.
@Suite("PostgresStore lifecycle conformance", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresStoreLifecycleConformanceTests {
    @Test(arguments: StoreConformance.lifecycleChecks)
    func lifecycle(check: StoreConformance.LifecycleCheck) async throws {
        try await PostgresTestEnvironment.withStore { store, _ in
            try await check.run(store)
        }
    }
}
