public import Foundation

/// A workspace with its data keys and the number of its live secrets. Holds no secret.
public struct WorkspaceInfo: Sendable, Hashable, Codable {
    /// Workspace id (see ``NameRules``).
    public var id: String
    /// When the workspace was created.
    public var createdAt: Date
    /// The data-key version new values are sealed with.
    public var primaryDataKeyVersion: UInt32
    /// Every data-key version, oldest first.
    public var dataKeys: [DataKeyInfo]
    /// Number of secrets with at least one live (not soft-deleted) version.
    public var secretCount: Int

    /// Creates a workspace description.
    public init(id: String, createdAt: Date, primaryDataKeyVersion: UInt32, dataKeys: [DataKeyInfo], secretCount: Int) {
        self.id = id
        self.createdAt = createdAt
        self.primaryDataKeyVersion = primaryDataKeyVersion
        self.dataKeys = dataKeys
        self.secretCount = secretCount
    }
}
