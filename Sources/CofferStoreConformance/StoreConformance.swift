public import Coffer

/// The behaviour every ``SecretStore`` must show, as checks that run unchanged against any
/// store.
///
/// Each check uses Swift Testing's `#expect`/`#require`, so failures are reported in the test
/// that runs it. Give every check a fresh, empty store:
///
/// ```swift
/// @Test(arguments: StoreConformance.checks)
/// func conformance(check: StoreConformance.Check) async throws {
///     try await check.run(makeFreshStore())
/// }
/// ```
///
/// Timestamps are compared to within a millisecond (a store may round them); names are
/// expected in byte order (a PostgreSQL store needs `COLLATE "C"`).
public enum StoreConformance {
    /// One named behaviour of any ``SecretStore``.
    public typealias Check = ConformanceCheck<any SecretStore>

    /// Every check, in a stable order.
    public static let checks: [Check] = workspaceChecks + putChecks + readChecks + deleteChecks
        + isolationChecks + concurrencyChecks

    /// The check called `name`; traps when there is none (for tests that run one check).
    public static func check(named name: String) -> Check {
        .named(name, in: checks, kind: "")
    }
}
