import CSodium

/// A key-encryption key held in this process, in secure memory: the engine behind the file,
/// environment and passphrase providers, and a provider in its own right.
///
/// Its ``id`` is BLAKE2b (libsodium `crypto_generichash`) keyed with the KEK over the
/// domain string ``fingerprintDomain``, 16 bytes long. Data keys are wrapped as Coffer v1
/// ciphertexts under header key id ``KEKIdentifier/headerKeyID``, bound by
/// ``EnvelopeContext/dataKey(workspace:dataKeyVersion:)`` to their workspace and version.
public struct LocalKEK: KeyEncryptionKeyProvider, CustomStringConvertible {
    /// The domain string the fingerprint is computed over.
    public static let fingerprintDomain = "coffer/kek-id/v1"

    /// The KEK's fingerprint.
    public let id: KEKIdentifier
    /// Non-secret description of where the KEK came from.
    public let displayName: String

    private let envelope: EnvelopeKey

    /// Prepares `key` as a KEK. `displayName` says where it came from (never the key itself).
    public init(_ key: SymmetricKey, displayName: String = "local") throws {
        self.id = try Self.fingerprint(of: key)
        self.displayName = displayName
        self.envelope = try EnvelopeKey(key, id: id.headerKeyID)
    }

    /// The fingerprint a KEK would have: BLAKE2b-128 keyed with `key` over
    /// ``fingerprintDomain``.
    public static func fingerprint(of key: SymmetricKey) throws -> KEKIdentifier {
        try Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: KEKIdentifier.byteCount)
        let domain = Array(fingerprintDomain.utf8)
        let rc = key.withUnsafeBytes { k in
            crypto_generichash(
                &out, out.count, domain, UInt64(domain.count),
                k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
        }
        guard rc == 0 else { throw CofferCryptoError.libraryFailure(operation: "crypto_generichash") }
        return try KEKIdentifier(bytes: out)
    }

    /// The KEK's fingerprint (``id``).
    public func keyID() -> KEKIdentifier { id }

    /// Wraps `dataKey` under this KEK, bound to `workspace` and `dataKeyVersion`.
    public func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) throws -> WrappedDataKey {
        let context = EnvelopeContext.dataKey(workspace: workspace, dataKeyVersion: dataKeyVersion)
        let ciphertext = try dataKey.withUnsafeBytes { k in try envelope.seal(k, context: context) }
        return WrappedDataKey(kekID: id, ciphertext: ciphertext)
    }

    /// Unwraps a data key straight into secure memory.
    /// - Throws: ``CofferCryptoError/authenticationFailed`` when `wrapped` names another KEK,
    ///   was wrapped for another workspace or version, has the wrong length, or was altered.
    public func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) throws -> SymmetricKey {
        guard wrapped.kekID == id,
              wrapped.ciphertext.count == SymmetricKey.byteCount + CiphertextHeader.overhead
        else { throw CofferCryptoError.authenticationFailed }
        let context = EnvelopeContext.dataKey(workspace: workspace, dataKeyVersion: dataKeyVersion)
        // Decrypt into sodium_malloc'd memory; on failure `open` wipes the output and
        // SecureBytes wipes and frees it.
        let bytes = try SecureBytes(count: SymmetricKey.byteCount) { out in
            let n = try wrapped.ciphertext.withUnsafeBytes { c in try envelope.open(c, context: context, into: out) }
            guard n == SymmetricKey.byteCount else { throw CofferCryptoError.authenticationFailed }
        }
        return SymmetricKey(unchecked: bytes)
    }

    public var description: String { "LocalKEK(\(displayName), \(id))" }
}
