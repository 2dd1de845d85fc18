import Foundation
import CSodium

/// The public half of an X25519 key pair (libsodium `crypto_box`): the recipient of an
/// ``ExportBundle``. Public data, so it can be printed, compared and stored freely.
///
/// Its text form is `coffer-x25519-public:` followed by the 32 key bytes as standard base64
/// with `=` padding (44 characters), for example
/// `coffer-x25519-public:q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=`.
public struct X25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Length of an X25519 public key in bytes.
    public static let byteCount = 32
    /// Prefix of the text form.
    public static let textPrefix = "coffer-x25519-public:"
    /// Length of ``fingerprintBytes`` (the fingerprint stored in an export bundle header).
    static let fingerprintByteCount = 8
    /// Largest public key file read.
    static let maxFileBytes = 1024

    /// The 32 key bytes.
    public let bytes: [UInt8]

    /// A public key from its 32 raw bytes.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` for any other length.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw CofferCryptoError.invalidKey("an X25519 public key must be exactly \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses the text form `coffer-x25519-public:<base64>`; surrounding whitespace (a trailing
    /// newline) is ignored.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` saying what is wrong.
    public init(text: some StringProtocol) throws {
        let trimmed = text.trimmingCharactersInWhitespace()
        guard trimmed.hasPrefix(Self.textPrefix) else {
            if trimmed.hasPrefix(X25519KeyPair.secretTextPrefix) {
                throw CofferCryptoError.invalidKey(
                    "this is an X25519 secret key, not a public key; keep it private and pass the public key (coffer-x25519-public:…) instead")
            }
            throw CofferCryptoError.invalidKey("an X25519 public key must start with \"\(Self.textPrefix)\"")
        }
        let encoded = trimmed.dropFirst(Self.textPrefix.count)
        guard let data = Data(base64Encoded: String(encoded)), data.count == Self.byteCount else {
            throw CofferCryptoError.invalidKey(
                "an X25519 public key must be \"\(Self.textPrefix)\" followed by \(Self.byteCount) bytes as base64 (44 characters)")
        }
        self.bytes = Array(data)
    }

    /// Reads a public key file holding the text form (as written by `text` plus a newline).
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` naming `path` and the problem.
    public init(contentsOfFile path: String) throws {
        let content = try X25519KeyFile.readPublic(path, limit: Self.maxFileBytes)
        do {
            try self.init(text: String(decoding: content, as: UTF8.self))
        } catch let CofferCryptoError.invalidKey(why) {
            throw CofferCryptoError.invalidKey("public key file \(path): \(why)")
        }
    }

    /// The text form: `coffer-x25519-public:` and the key as standard base64.
    public var text: String { Self.textPrefix + Data(bytes).base64EncodedString() }

    /// The first 8 bytes of the unkeyed BLAKE2b-256 hash of the 32 key bytes; stored in the
    /// header of an X25519 export bundle.
    var fingerprintBytes: [UInt8] {
        _ = Sodium.ready
        var hash = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&hash, hash.count, bytes, UInt64(bytes.count), nil, 0)
        return Array(hash.prefix(Self.fingerprintByteCount))
    }

    /// A short fingerprint for display: `fingerprintBytes` as 16 lowercase hex digits.
    public var fingerprint: String { Hex.string(fingerprintBytes) }

    public var description: String { "X25519PublicKey(\(fingerprint))" }
}
