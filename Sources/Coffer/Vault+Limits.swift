/// The accepted ranges of the numeric arguments of the vault's batch jobs. Values outside are
/// refused with ``VaultError/invalidValue(_:)`` before anything is read or written.
extension Vault {
    /// Rows per transaction of ``purge(batchSize:)``, ``rotateKEK(to:batchSize:progress:)`` and
    /// ``reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)``: 1 to 100 000.
    public static let batchSizes: ClosedRange<Int> = 1...100_000

    /// Secret versions per second of
    /// ``reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)``: 0.001 to 10^9.
    public static let reencryptionRates: ClosedRange<Double> = 0.001...1_000_000_000
}

extension VaultCore {
    /// Refuses a batch size outside ``Vault/batchSizes``.
    static func checkBatchSize(_ batchSize: Int) throws {
        guard Vault.batchSizes.contains(batchSize) else {
            throw VaultError.invalidValue("the batch size must be between 1 and 100000")
        }
    }
}
