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
    /// The loaded KEK's fingerprint (``LocalKEK/id``), recorded with every data key it wraps.
    /// Loads the key on first call.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` when the key source cannot be read
    ///   or holds no valid key; ``CofferCryptoError/wrongPassphrase(paramsFile:)`` for a
    ///   passphrase provider given the wrong passphrase.
    public func keyID() throws -> KEKIdentifier { try load().id }

    /// Wraps `dataKey` under the loaded KEK, bound to `workspace` and `dataKeyVersion`
    /// (``LocalKEK/wrap(_:workspace:dataKeyVersion:)``). Loads the key on first call.
    /// - Throws: the errors of ``load()`` when the key cannot be loaded.
    public func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) throws -> WrappedDataKey {
        try load().wrap(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }

    /// Unwraps a data key with the loaded KEK, straight into secure memory
    /// (``LocalKEK/unwrap(_:workspace:dataKeyVersion:)``). Loads the key on first call.
    /// - Throws: ``CofferCryptoError/authenticationFailed`` when `wrapped` names another KEK,
    ///   was wrapped for another workspace or version, or was altered; the errors of
    ///   ``load()`` when the key cannot be loaded.
    public func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) throws -> SymmetricKey {
        try load().unwrap(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }
}
