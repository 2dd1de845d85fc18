public import Foundation

/// An OAuth 2.0 token set: access token, optional refresh token, type, scopes and expiry.
///
/// Stored (kind ``SecretKind/oauthToken``) as canonical JSON with sorted snake_case keys:
/// `access_token`, `expires_at` (RFC 3339 UTC, whole seconds, omitted when unknown),
/// `refresh_token` (omitted when nil), `scopes` (array) and `token_type`.
///
/// The tokens are Swift `String`s, which Coffer cannot wipe; code that must keep credentials
/// in wiped memory should use the raw-bytes API (``WorkspaceScope/put(_:value:metadata:expectedVersion:)``
/// and ``WorkspaceScope/get(_:version:)``, which hold values in `SecretBytes`).
/// `description` never shows either token.
public struct OAuthTokenSet: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The access token (secret).
    public var accessToken: String
    /// The refresh token (secret), if the grant issued one.
    public var refreshToken: String?
    /// Token type; `Bearer` unless the server said otherwise.
    public var tokenType: String
    /// Granted scopes.
    public var scopes: [String]
    /// When the access token expires, if known (kept to the whole second).
    public var expiresAt: Date?

    /// Creates a token set.
    public init(accessToken: String, refreshToken: String? = nil, tokenType: String = "Bearer", scopes: [String] = [], expiresAt: Date? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.scopes = scopes
        self.expiresAt = expiresAt
    }

    /// The canonical JSON field names.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case tokenType = "token_type"
        case scopes
        case expiresAt = "expires_at"
    }

    /// Decodes the canonical JSON form (see the type's documentation).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = try c.decode(String.self, forKey: .accessToken)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
        tokenType = try c.decodeIfPresent(String.self, forKey: .tokenType) ?? "Bearer"
        scopes = try c.decodeIfPresent([String].self, forKey: .scopes) ?? []
        expiresAt = try CredentialDates.decode(c, forKey: .expiresAt)
    }

    /// Encodes the canonical JSON form (see the type's documentation).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accessToken, forKey: .accessToken)
        try c.encodeIfPresent(refreshToken, forKey: .refreshToken)
        try c.encode(tokenType, forKey: .tokenType)
        try c.encode(scopes, forKey: .scopes)
        try c.encodeIfPresent(expiresAt.map(RFC3339.format), forKey: .expiresAt)
    }

    /// Type, scopes and expiry; both tokens redacted.
    public var description: String {
        let expiry = expiresAt.map(RFC3339.format) ?? "unknown"
        let refresh = refreshToken == nil ? "none" : "redacted"
        return "OAuthTokenSet(tokenType: \(tokenType), scopes: \(scopes), expiresAt: \(expiry), accessToken: redacted, refreshToken: \(refresh))"
    }
}

/// Shared date coding of the typed credentials.
enum CredentialDates {
    static func decode<K: CodingKey>(_ c: KeyedDecodingContainer<K>, forKey key: K) throws -> Date? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.stringValue) is not an RFC 3339 date-time")
        }
        return date
    }
}
