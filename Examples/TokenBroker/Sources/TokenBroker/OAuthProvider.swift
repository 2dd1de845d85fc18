public import Foundation

/// An OAuth 2.0 authorization server the broker refreshes tokens at: its token endpoint and
/// this broker's client credentials there. Connections name it in their `provider` field.
///
/// `description` never shows the client secret.
public struct OAuthProvider: Sendable, CustomStringConvertible {
    /// The token endpoint (`http` or `https`), e.g. `https://github.com/login/oauth/access_token`.
    public var tokenURL: URL
    /// This broker's client id at the provider.
    public var clientID: String
    /// This broker's client secret (sent with HTTP Basic authentication), if the client has one.
    public var clientSecret: String?

    /// A provider from its parts.
    /// - Throws: ``BrokerError`` (400) when the URL is not an absolute http(s) URL with a host.
    public init(tokenURL: URL, clientID: String, clientSecret: String? = nil) throws(BrokerError) {
        guard let scheme = tokenURL.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = tokenURL.host, !host.isEmpty
        else {
            throw BrokerError.badRequest("a provider's token_url must be an absolute http or https URL")
        }
        guard (1...256).contains(clientID.utf8.count) else {
            throw BrokerError.badRequest("a provider's client_id must be 1 to 256 bytes")
        }
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    /// Token URL and client id; the client secret redacted.
    public var description: String {
        "OAuthProvider(tokenURL: \(tokenURL.absoluteString), clientID: \(clientID), clientSecret: \(clientSecret == nil ? "none" : "redacted"))"
    }
}
