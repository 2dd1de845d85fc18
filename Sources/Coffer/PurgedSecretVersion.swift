public import Foundation

/// A soft-deleted secret version that a purge removed for good.
public struct PurgedSecretVersion: Sendable, Hashable, Codable {
    public var workspace: String
    public var name: String
    public var version: UInt32
    public var deletedAt: Date

    public init(workspace: String, name: String, version: UInt32, deletedAt: Date) {
        self.workspace = workspace
        self.name = name
        self.version = version
        self.deletedAt = deletedAt
    }
}
