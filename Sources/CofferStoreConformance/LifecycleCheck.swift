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
    public struct LifecycleCheck: Sendable, CustomStringConvertible {
        /// A short sentence naming the behaviour.
        public let name: String
        /// Runs the check against a fresh, empty store.
        public let run: @Sendable (any LifecycleSecretStore) async throws -> Void

        /// A check called `name` that runs `run`.
        public init(_ name: String, _ run: @escaping @Sendable (any LifecycleSecretStore) async throws -> Void) {
            self.name = name
            self.run = run
        }

        public var description: String { name }
    }

    /// Every lifecycle check, in a stable order.
    public static let lifecycleChecks: [LifecycleCheck] = workspaceStateChecks + deletedWorkspaceChecks
        + shredChecks + retentionChecks + batchPutChecks + auditKeyChecks + auditLogChecks

    /// The lifecycle check called `name`; traps when there is none (for tests that run one check).
    public static func lifecycleCheck(named name: String) -> LifecycleCheck {
        guard let check = lifecycleChecks.first(where: { $0.name == name }) else {
            preconditionFailure("no lifecycle conformance check named '\(name)'")
        }
        return check
    }
}
