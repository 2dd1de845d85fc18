/// What ``Vault/purge(batchSize:)`` removed. Running it again right away removes nothing.
public struct PurgeReport: Sendable, Hashable, Codable {
    /// Soft-deleted secret versions past the grace period, removed for good.
    public var secretVersionsPurged: Int
    /// Workspaces deleted longer ago than the grace period, crypto-shredded now.
    public var workspacesShredded: [ShredReceipt]
    /// Audit records older than the audit retention, removed behind a sealed checkpoint.
    public var auditRecordsPurged: Int

    /// Makes a report.
    public init(secretVersionsPurged: Int, workspacesShredded: [ShredReceipt], auditRecordsPurged: Int) {
        self.secretVersionsPurged = secretVersionsPurged
        self.workspacesShredded = workspacesShredded
        self.auditRecordsPurged = auditRecordsPurged
    }
}
