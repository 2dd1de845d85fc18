/// A webhook signing secret and the algorithm it is used with.
///
/// Stored (kind ``SecretKind/webhookSecret``) as canonical JSON with sorted keys:
/// `algorithm`, `secret`.
///
/// The secret is a Swift `String`, which Coffer cannot wipe; use the raw-bytes API to keep a
/// value in wiped memory. `description` shows the algorithm only.
public struct WebhookSecret: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The signing secret (secret).
    public var secret: String
    /// Signature algorithm, lowercase, such as `hmac-sha256` (the default) or `hmac-sha512`.
    public var algorithm: String

    /// Creates a webhook secret.
    public init(secret: String, algorithm: String = "hmac-sha256") {
        self.secret = secret
        self.algorithm = algorithm
    }

    /// The canonical JSON field names.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case secret
        case algorithm
    }

    /// Decodes the canonical JSON form (see the type's documentation).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        secret = try c.decode(String.self, forKey: .secret)
        algorithm = try c.decodeIfPresent(String.self, forKey: .algorithm) ?? "hmac-sha256"
    }

    /// Encodes the canonical JSON form (see the type's documentation).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(secret, forKey: .secret)
        try c.encode(algorithm, forKey: .algorithm)
    }

    /// The algorithm; the secret redacted.
    public var description: String { "WebhookSecret(algorithm: \(algorithm), secret: redacted)" }
}
