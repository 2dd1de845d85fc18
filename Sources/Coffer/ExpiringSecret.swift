public import Foundation

/// A secret whose current version states an expiry (`SecretMetadata.expiresAt`: an OAuth
/// token's or a cloud credential's, or one given with `--expires-at`) inside a window; see
/// ``Vault/expiringSecrets(within:)``. Metadata only, never the value.
public struct ExpiringSecret: Sendable, Hashable, Codable {
    /// The workspace.
    public var workspace: String
    /// The secret's name.
    public var name: String
    /// Its current version.
    public var version: UInt32
    /// The kind of credential.
    public var kind: SecretKind
    /// When the current version expires (possibly already in the past).
    public var expiresAt: Date
    /// Labels of the current version.
    public var labels: [String: String]

    /// An entry from its parts.
    public init(workspace: String, name: String, version: UInt32, kind: SecretKind, expiresAt: Date, labels: [String: String]) {
        self.workspace = workspace
        self.name = name
        self.version = version
        self.kind = kind
        self.expiresAt = expiresAt
        self.labels = labels
    }
}
