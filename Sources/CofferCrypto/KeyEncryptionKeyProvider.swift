/// A source of a key-encryption key (KEK): wraps and unwraps workspace data keys (DEKs).
///
/// Every wrapped DEK is bound to its workspace binding and data-key version and records the
/// ``KEKIdentifier`` of the KEK that wrapped it. Local KEKs write a Coffer v1 ciphertext of
/// purpose ``EnvelopeContext/Purpose/wrappedDataKey``; a KMS or HSM provider writes its own
/// layout (docs/FORMAT.md).
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

    /// A new data key for `workspace` and `dataKeyVersion`, and the same key wrapped.
    ///
    /// The default draws the key from libsodium's CSPRNG and calls
    /// ``wrap(_:workspace:dataKeyVersion:)``. A provider backed by a KMS overrides it so the
    /// key comes from the KMS's generator in the same call that wraps it (`GenerateDataKey`).
    func generateDataKey(workspace: String, dataKeyVersion: UInt32) async throws -> (key: SymmetricKey, wrapped: WrappedDataKey)
}

extension KeyEncryptionKeyProvider {
    public func generateDataKey(workspace: String, dataKeyVersion: UInt32) async throws -> (key: SymmetricKey, wrapped: WrappedDataKey) {
        let key = SymmetricKey.generate()
        return (key, try await wrap(key, workspace: workspace, dataKeyVersion: dataKeyVersion))
    }
}
