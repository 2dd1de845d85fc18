/// A KEK provider that loads a ``LocalKEK`` once (from a file, a variable, a passphrase) and
/// then wraps and unwraps in process. Conformers implement ``load()``; the protocol's
/// requirements forward to the loaded key.
public protocol LoadedKEKProvider: KeyEncryptionKeyProvider {
    /// Loads the KEK on first use (later calls return the same key); call it early to report
    /// an unusable key source before any work is done.
    @discardableResult
    func load() throws -> LocalKEK
}

extension LoadedKEKProvider {
    public func keyID() throws -> KEKIdentifier { try load().id }

    public func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) throws -> WrappedDataKey {
        try load().wrap(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }

    public func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) throws -> SymmetricKey {
        try load().unwrap(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }
}
