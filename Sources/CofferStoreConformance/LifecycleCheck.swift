public import Coffer

extension StoreConformance {
    /// One named behaviour of a ``LifecycleSecretStore`` (workspace deletion and
    /// crypto-shredding, retention purges, batch writes, the audit log). Run every one against
    /// a fresh, empty store:
    ///
    /// ```swift
    /// @Test(arguments: StoreConformance.lifecycleChecks)
    /// func lifecycle(check: StoreConformance.LifecycleCheck) async throws {
    ///     try await check.run(makeFreshStore())
    /// }
    /// ```
    public typealias LifecycleCheck = ConformanceCheck<any LifecycleSecretStore>

    /// Every lifecycle check, in a stable order.
    public static let lifecycleChecks: [LifecycleCheck] = workspaceStateChecks + deletedWorkspaceChecks
        + shredChecks + retentionChecks + batchPutChecks + auditKeyChecks + auditLogChecks

    /// The lifecycle check called `name`; traps when there is none (for tests that run one check).
    public static func lifecycleCheck(named name: String) -> LifecycleCheck {
        .named(name, in: lifecycleChecks, kind: "lifecycle ")
    }
}
