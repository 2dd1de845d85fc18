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
    public typealias RotationCheck = ConformanceCheck<any RotatingSecretStore>

    /// Every rotation check, in a stable order.
    public static let rotationChecks: [RotationCheck] = dataKeyRotationChecks + encryptionCountChecks
        + kekRewrapChecks + reencryptionChecks + retirementChecks + rotationIsolationChecks

    /// The rotation check called `name`; traps when there is none (for tests that run one check).
    public static func rotationCheck(named name: String) -> RotationCheck {
        .named(name, in: rotationChecks, kind: "rotation ")
    }
}
