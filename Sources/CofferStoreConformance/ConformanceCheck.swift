extension StoreConformance {
    /// One named behaviour of a store of type `Store` (``SecretStore``, ``RotatingSecretStore``
    /// or ``LifecycleSecretStore``), run against a fresh, empty store. ``Check``,
    /// ``RotationCheck`` and ``LifecycleCheck`` are its three uses.
    public struct ConformanceCheck<Store>: Sendable, CustomStringConvertible {
        /// A short sentence naming the behaviour.
        public let name: String
        /// Runs the check against a fresh, empty store.
        public let run: @Sendable (Store) async throws -> Void

        /// A check called `name` that runs `run`.
        public init(_ name: String, _ run: @escaping @Sendable (Store) async throws -> Void) {
            self.name = name
            self.run = run
        }

        public var description: String { name }

        /// The check called `name` in `checks`; traps when there is none (for tests that run one check).
        static func named(_ name: String, in checks: [Self], kind: String) -> Self {
            guard let check = checks.first(where: { $0.name == name }) else {
                preconditionFailure("no \(kind)conformance check named '\(name)'")
            }
            return check
        }
    }
}
