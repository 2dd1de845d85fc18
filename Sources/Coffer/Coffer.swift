@_exported import CofferCrypto

/// Namespace of the Coffer vault. The tenant-scoped vault, its stores and the DEK cache arrive
/// with the vault issue; today this module re-exports the envelope core.
public enum Coffer {
    /// Version of the Coffer library.
    public static let version = "0.1.0"
}
