/// Failures of the AWS KMS client, before they are mapped to ``CofferCrypto/CofferCryptoError``
/// by the provider. Messages hold no credential, signature, plaintext or ciphertext.
public enum AWSKMSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration is unusable (endpoint, region, credentials, key).
    case configuration(String)
    /// KMS answered with an error of `type` (`AccessDeniedException`, ...) and HTTP `status`.
    case service(type: String, status: Int)
    /// KMS could not be reached or kept failing (network, throttling, 5xx) until the deadline.
    case unavailable(String)
    /// KMS answered 200 with a body that is not what the operation returns.
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .configuration(let why): return "aws-kms: \(why)"
        case .service(let type, let status): return "AWS KMS refused the request: \(type) (HTTP \(status))"
        case .unavailable(let why): return "AWS KMS unavailable: \(why)"
        case .unexpectedResponse(let why): return "AWS KMS sent an unexpected response: \(why)"
        }
    }
}
