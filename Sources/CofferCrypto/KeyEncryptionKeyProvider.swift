/// A source of a key-encryption key (KEK): wraps and unwraps workspace data keys (DEKs).
///
/// Every wrapped DEK is a Coffer v1 ciphertext of purpose
/// ``EnvelopeContext/Purpose/wrappedDataKey`` bound to its workspace and data-key version,
/// and records the ``KEKIdentifier`` of the KEK that wrapped it.
///
/// The requirements are `async` so that providers backed by a PKCS#11 token or a cloud KMS can
/// call out without blocking. Local providers (``FileKEKProvider``,
/// ``EnvironmentKEKProvider``, ``PassphraseKEKProvider``) load their key on first use and keep
/// it in secure memory. Use ``KEKProviders/make(uri:environment:passphraseSource:defaultPassphraseParamsPath:passphraseCost:logger:)``
/// to build one from a `file:`, `env:` or `passphrase:` URI.
public protocol KeyEncryptionKeyProvider: Sendable {
    /// A non-secret description of where the KEK comes from, such as `file:/etc/coffer/kek`,
    /// `env:COFFER_KEK_B64` or `passphrase:/path/params.json`. Safe to log and to show.
    var displayName: String { get }

    /// The stable, non-secret fingerprint of the KEK, recorded with every wrapped DEK.
    func keyID() async throws -> KEKIdentifier

    /// Wraps `dataKey` under the KEK, bound to `workspace` and `dataKeyVersion`.
    func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey

    /// Unwraps a data key wrapped by ``wrap(_:workspace:dataKeyVersion:)`` for the same
    /// `workspace` and `dataKeyVersion`.
    /// - Throws: ``CofferCryptoError/authenticationFailed`` when the KEK, workspace or version
    ///   is not the one the key was wrapped with, or the wrapped key was altered.
    func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey
}
