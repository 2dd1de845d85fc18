import CofferCrypto

/// Wraps a KEK provider, counting unwraps; can delay each unwrap.
final class CountingKEK: KeyEncryptionKeyProvider {
    private let inner: LocalKEK
    private let delay: Duration
    private let unwraps = PosixMutex(0)

    init(_ inner: LocalKEK, delay: Duration = .zero) {
        self.inner = inner
        self.delay = delay
    }

    var unwrapCount: Int { unwraps.withLock { $0 } }
    var displayName: String { "counting:" + inner.displayName }
    func keyID() async throws -> KEKIdentifier { inner.id }

    func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        try inner.wrap(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }

    func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        unwraps.withLock { $0 += 1 }
        if delay > .zero { try await Task.sleep(for: delay) }
        return try inner.unwrap(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }
}
