/// Where a re-encryption pass is, reported after every batch (never any value or key).
public struct ReencryptionProgress: Sendable, Hashable, Codable {
    /// The workspace the last batch belonged to (nil before the first batch).
    public var workspace: String?
    /// Secret versions handled so far (re-encrypted or skipped), all workspaces.
    public var processed: Int
    /// Secret versions sealed under the targeted data-key versions when the pass started
    /// (from ``RotatingSecretStore/dataKeyUsage(workspace:)``); a concurrent prune can make
    /// `processed` end below it.
    public var total: Int
    /// Secret versions re-sealed under the primary data key.
    public var reencrypted: Int
    /// Secret versions whose row changed before the batch was written (pruned, or handled by
    /// a concurrent re-encryption or revoke): left as they are.
    public var skipped: Int
    /// Batches committed.
    public var batches: Int
    /// Average secret versions per second since the pass started.
    public var ratePerSecond: Double
    /// Estimated seconds left at that rate (nil when unknown).
    public var etaSeconds: Double?
    /// True in the last report of a completed pass.
    public var finished: Bool

    /// Creates a progress report.
    public init(
        workspace: String?, processed: Int, total: Int, reencrypted: Int, skipped: Int, batches: Int,
        ratePerSecond: Double, etaSeconds: Double?, finished: Bool
    ) {
        self.workspace = workspace
        self.processed = processed
        self.total = total
        self.reencrypted = reencrypted
        self.skipped = skipped
        self.batches = batches
        self.ratePerSecond = ratePerSecond
        self.etaSeconds = etaSeconds
        self.finished = finished
    }
}
