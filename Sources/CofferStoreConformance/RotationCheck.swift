public import Coffer

extension StoreConformance {
    /// One named behaviour of a ``RotatingSecretStore`` (key rotation, re-encryption,
    /// retirement). Run every one against a fresh, empty store:
    ///
    /// ```swift
    /// @Test(arguments: StoreConformance.rotationChecks)
    /// func rotation(check: StoreConformance.RotationCheck) async throws {
    ///     try await check.run(makeFreshStore())
    /// }
    /// ```
    public struct RotationCheck: Sendable, CustomStringConvertible {
        /// A short sentence naming the behaviour.
        public let name: String
        /// Runs the check against a fresh, empty store.
        public let run: @Sendable (any RotatingSecretStore) async throws -> Void

        /// A check called `name` that runs `run`.
        public init(_ name: String, _ run: @escaping @Sendable (any RotatingSecretStore) async throws -> Void) {
            self.name = name
            self.run = run
        }

        public var description: String { name }
    }

    /// Every rotation check, in a stable order.
    public static let rotationChecks: [RotationCheck] = dataKeyRotationChecks + encryptionCountChecks
        + kekRewrapChecks + reencryptionChecks + retirementChecks + rotationIsolationChecks

    /// The rotation check called `name`; traps when there is none (for tests that run one check).
    public static func rotationCheck(named name: String) -> RotationCheck {
        guard let check = rotationChecks.first(where: { $0.name == name }) else {
            preconditionFailure("no rotation conformance check named '\(name)'")
        }
        return check
    }
}
