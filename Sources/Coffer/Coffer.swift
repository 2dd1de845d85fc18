@_exported import CofferCrypto

/// Namespace of the Coffer vault library. The vault itself is ``Vault`` (reached per tenant
/// through ``WorkspaceScope``); this module also re-exports the envelope core (`CofferCrypto`).
public enum Coffer {
    /// Version of the Coffer library.
    public static let version = "0.1.0"
}
