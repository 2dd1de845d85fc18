import Coffer

/// The answer of `GET /workspaces/{ws}/connections/{name}`: the usable access token (the only
/// token value the broker ever returns) with its type, scopes and expiry. Never the refresh token.
struct ConnectionToken: Encodable, Sendable {
    var workspace: String
    var connection: String
    var provider: String?
    var access_token: String
    var token_type: String
    var scopes: [String]
    var expires_at: String?
    var version: UInt32
    /// Whether this request refreshed the token at the provider.
    var refreshed: Bool

    init(path: ConnectionPath, usable: TokenRefresher.Usable) {
        workspace = path.workspace
        connection = path.name
        provider = usable.info.metadata.labels[TokenRefresher.providerLabel]
        access_token = usable.token.accessToken
        token_type = usable.token.tokenType
        scopes = usable.token.scopes
        expires_at = usable.token.expiresAt.map(ConnectionSummary.format)
        version = usable.info.version
        refreshed = usable.refreshed
    }
}
