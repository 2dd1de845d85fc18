public import CofferCrypto

/// AWS credentials for signing requests: an access key id, a secret access key and, for
/// temporary credentials, a session token.
///
/// The secret access key and the session token are held in ``SecretBytes`` (wiped, locked
/// memory) and never appear in ``description``: it shows the access key id's first four
/// characters only (`AKIA…`), which is enough to tell long-term from temporary keys.
public struct AWSCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id (`AKIA…` or `ASIA…`). Not a secret, but not shown in full either.
    public let accessKeyID: String
    let secretAccessKey: SecretBytes
    let sessionToken: SecretBytes?

    /// Credentials from their parts.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` when a part is empty, too long or
    ///   holds characters no AWS credential has (the value is never repeated).
    public init(accessKeyID: String, secretAccessKey: SecretBytes, sessionToken: SecretBytes? = nil) throws {
        guard (1...128).contains(accessKeyID.utf8.count),
              accessKeyID.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            throw CofferCryptoError.kekUnavailable("AWS_ACCESS_KEY_ID must be 1–128 letters and digits")
        }
        guard (1...256).contains(secretAccessKey.count), secretAccessKey.withUnsafeBytes({ $0.allSatisfy(Self.isVisibleASCII) }) else {
            throw CofferCryptoError.kekUnavailable("AWS_SECRET_ACCESS_KEY must be 1–256 printable ASCII characters (not shown)")
        }
        if let token = sessionToken {
            guard (1...8192).contains(token.count), token.withUnsafeBytes({ $0.allSatisfy(Self.isVisibleASCII) }) else {
                throw CofferCryptoError.kekUnavailable("AWS_SESSION_TOKEN must be 1–8192 printable ASCII characters (not shown)")
            }
        }
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// The standard variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, if set and
    /// not empty, `AWS_SESSION_TOKEN`.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` naming the variable that is missing
    ///   or malformed.
    public static func fromEnvironment(_ environment: [String: String]) throws -> AWSCredentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
              let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw CofferCryptoError.kekUnavailable(
                "aws-kms: needs AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : SecretBytes(Array($0.utf8)) }
        return try AWSCredentials(accessKeyID: id, secretAccessKey: SecretBytes(Array(secret.utf8)), sessionToken: token)
    }

    /// Whether these are temporary credentials (with a session token).
    public var hasSessionToken: Bool { sessionToken != nil }

    /// `AWSCredentials(AKIA…, secret redacted[, session token redacted])`.
    public var description: String {
        "AWSCredentials(\(accessKeyID.prefix(4))…, secret redacted\(sessionToken == nil ? "" : ", session token redacted"))"
    }

    public var debugDescription: String { description }

    private static func isVisibleASCII(_ c: UInt8) -> Bool { (0x21...0x7e).contains(c) }
}
