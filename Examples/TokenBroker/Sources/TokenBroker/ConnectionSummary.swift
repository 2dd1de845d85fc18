import Coffer
import Foundation

/// One connection in a list or a PUT answer: where it is, which provider, its version and
/// expiry. Never a token.
struct ConnectionSummary: Encodable, Sendable {
    var workspace: String
    var connection: String
    var provider: String?
    var version: UInt32
    var expires_at: String?
    /// Whether an instance holds a refresh claim on the current version.
    var refreshing: Bool

    init(workspace: String, connection: String, version: UInt32, metadata: SecretMetadata, now: Date) {
        self.workspace = workspace
        self.connection = connection
        self.provider = metadata.labels[TokenRefresher.providerLabel]
        self.version = version
        self.expires_at = metadata.expiresAt.map(Self.format)
        self.refreshing = RefreshClaim(labels: metadata.labels)?.isActive(at: now) ?? false
    }

    /// RFC 3339 UTC, whole seconds.
    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}
