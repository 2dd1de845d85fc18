public import Foundation

/// A soft-deleted secret version that a purge removed for good.
public struct PurgedSecretVersion: Sendable, Hashable, Codable {
    /// Id of the workspace the version was in.
    public var workspace: String
    /// The secret's name. The secret row stays, so its version numbers are never reused.
    public var name: String
    /// The version number removed.
    public var version: UInt32
    /// When it had been soft-deleted (at or before the purge's cutoff: now minus
    /// ``VaultConfiguration/deletionGracePeriod``).
    public var deletedAt: Date

    /// Makes a purged-version entry; stores return these from a purge batch.
    public init(workspace: String, name: String, version: UInt32, deletedAt: Date) {
        self.workspace = workspace
        self.name = name
        self.version = version
        self.deletedAt = deletedAt
    }
}
