public import Foundation

/// Cloud provider credentials: an access key id and secret, with an optional session token
/// and expiry (AWS-style static or temporary credentials, or any provider of the same shape).
///
/// Stored (kind ``SecretKind/cloudCredentials``) as canonical JSON with sorted snake_case
/// keys: `access_key_id`, `expires_at` (RFC 3339 UTC, whole seconds, omitted when unknown),
/// `secret_access_key`, `session_token` (omitted when nil).
///
/// The fields are Swift `String`s, which Coffer cannot wipe; use the raw-bytes API to keep a
/// value in wiped memory. `description` shows the access key id only.
public struct CloudCredentials: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The access key id (an identifier, not secret).
    public var accessKeyID: String
    /// The secret access key (secret).
    public var secretAccessKey: String
    /// The session token of temporary credentials (secret), if any.
    public var sessionToken: String?
    /// When temporary credentials expire, if known (kept to the whole second).
    public var expiresAt: Date?

    /// Creates cloud credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiresAt: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiresAt = expiresAt
    }

    /// The canonical JSON field names.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case accessKeyID = "access_key_id"
        case secretAccessKey = "secret_access_key"
        case sessionToken = "session_token"
        case expiresAt = "expires_at"
    }

    /// Decodes the canonical JSON form (see the type's documentation).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accessKeyID = try c.decode(String.self, forKey: .accessKeyID)
        secretAccessKey = try c.decode(String.self, forKey: .secretAccessKey)
        sessionToken = try c.decodeIfPresent(String.self, forKey: .sessionToken)
        expiresAt = try CredentialDates.decode(c, forKey: .expiresAt)
    }

    /// Encodes the canonical JSON form (see the type's documentation).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accessKeyID, forKey: .accessKeyID)
        try c.encode(secretAccessKey, forKey: .secretAccessKey)
        try c.encodeIfPresent(sessionToken, forKey: .sessionToken)
        try c.encodeIfPresent(expiresAt.map(RFC3339.format), forKey: .expiresAt)
    }

    /// The access key id and expiry; the secret and session token redacted.
    public var description: String {
        let expiry = expiresAt.map(RFC3339.format) ?? "unknown"
        let session = sessionToken == nil ? "none" : "redacted"
        return "CloudCredentials(accessKeyID: \(accessKeyID), secretAccessKey: redacted, sessionToken: \(session), expiresAt: \(expiry))"
    }
}
