import CofferCrypto

/// A KEK whose service (a KMS, an HSM) is down: it knows its id, but every wrap and unwrap
/// fails with `kekServiceUnavailable`.
struct UnreachableKEK: KeyEncryptionKeyProvider {
    let base: any KeyEncryptionKeyProvider

    var displayName: String { "unreachable:" + base.displayName }
    func keyID() async throws -> KEKIdentifier { try await base.keyID() }
    func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        throw CofferCryptoError.kekServiceUnavailable("test KMS down")
    }
    func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        throw CofferCryptoError.kekServiceUnavailable("test KMS down")
    }
}
