/// The one error type of `CofferCrypto`.
///
/// Messages never contain key material, passphrases or plaintext. Every failure to open a
/// ciphertext — wrong tag, wrong context (AAD), wrong key, truncation — is reported as
/// ``authenticationFailed`` and nothing else, so an attacker learns nothing about *which* byte
/// was wrong. Only a header that is not a Coffer v1 header at all may say so
/// (``malformedHeader(_:)``), because the header is public data.
public enum CofferCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ciphertext could not be authenticated with the given key and context.
    case authenticationFailed
    /// The ciphertext does not start with a header this version of Coffer understands.
    case malformedHeader(String)
    /// A context field (workspace, secret name) cannot be encoded: the reason says which and why.
    case invalidContext(String)
    /// Key bytes have the wrong length or encoding, or a key source is unusable.
    case invalidKey(String)
    /// A plaintext is larger than one ciphertext may hold (``EnvelopeKey/maxPlaintextBytes``).
    case messageTooLarge(limit: Int)
    /// A key-encryption-key provider could not be used; the message says what to do.
    case kekUnavailable(String)
    /// The service that holds the KEK (a KMS, an HSM) cannot be reached or keeps failing
    /// (network, throttling or server errors past the retry deadline). Unlike
    /// ``kekUnavailable(_:)`` the configuration may be right: retrying later can succeed.
    case kekServiceUnavailable(String)
    /// The passphrase does not derive the KEK recorded in the passphrase parameters file at
    /// `paramsFile` (only the path is carried, never the passphrase).
    case wrongPassphrase(paramsFile: String)
    /// An export bundle cannot be opened as given, before any key is used: the bytes are not
    /// a bundle, or a format version or kind this build does not read; the bundle is of the
    /// other kind (X25519 vs. passphrase) than the key offered; or its header asks for more
    /// Argon2id work than the caller accepts. The reason says which; the header is public.
    case invalidBundle(String)
    /// An export bundle does not authenticate: it was altered, truncated or extended, or it
    /// was sealed for another recipient key or passphrase (these cannot be told apart).
    case bundleAuthenticationFailed
    /// The operating system or a linked library refused an operation (allocation, randomness,
    /// a cipher call). `operation` names the call, never data.
    case libraryFailure(operation: String)

    public var description: String {
        switch self {
        case .authenticationFailed:
            return "authentication failed: the ciphertext was altered, or the key or context is not the one it was sealed with"
        case .malformedHeader(let why):
            return "not a Coffer ciphertext: \(why)"
        case .invalidContext(let why):
            return "invalid encryption context: \(why)"
        case .invalidKey(let why):
            return "invalid key: \(why)"
        case .messageTooLarge(let limit):
            return "value too large: at most \(limit) bytes can be sealed in one ciphertext"
        case .kekUnavailable(let why):
            return "key-encryption key unavailable: \(why)"
        case .kekServiceUnavailable(let why):
            return "key-encryption key service unavailable: \(why)"
        case .wrongPassphrase(let paramsFile):
            return "passphrase does not match the one this params file was created with (\(Redaction.shown(paramsFile)))"
        case .invalidBundle(let why):
            return "invalid export bundle: \(why)"
        case .bundleAuthenticationFailed:
            return "the export bundle does not authenticate: it was altered, truncated or extended, or it was sealed for another recipient key or passphrase"
        case .libraryFailure(let operation):
            return "cryptographic library call failed: \(operation)"
        }
    }
}
