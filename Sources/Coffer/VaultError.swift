public import CofferCrypto

/// The one error type of the vault (`Coffer`) and of every ``SecretStore``.
///
/// Messages name workspaces, secret names, versions, paths and limits — never values, keys or
/// passphrases. Every failure to open stored data (wrong KEK, tampered or moved row) is
/// ``authenticationFailed`` and nothing more specific.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A workspace id or secret name breaks ``NameRules``; the text says which rule.
    case invalidName(String)
    /// No workspace with this id.
    case workspaceNotFound(String)
    /// The workspace is soft-deleted: undelete it (within the grace period) to use it again.
    case workspaceDeleted(String)
    /// The workspace was crypto-shredded: its data keys are destroyed and its id is retired.
    case workspaceShredded(String)
    /// The soft-deleted version is past the retention grace period: it can no longer be
    /// undeleted and will be removed by the next purge.
    case retentionExpired(workspace: String, name: String, version: UInt32)
    /// An export, import file or bundle is malformed or refused (not a damaged ciphertext:
    /// that is ``authenticationFailed``, or ``bundleAuthenticationFailed`` for a bundle); the
    /// text says what is wrong, never a value.
    case invalidImport(String)
    /// A workspace with this id already exists.
    case workspaceExists(String)
    /// No secret with this name in the workspace (or every version was purged).
    case secretNotFound(workspace: String, name: String)
    /// The secret exists but has no such version (never written, or pruned by max versions).
    case versionNotFound(workspace: String, name: String, version: UInt32)
    /// The version exists but is soft-deleted; undelete it to read it.
    case versionDeleted(workspace: String, name: String, version: UInt32)
    /// A check-and-set write expected `expected` as the current version but found `actual`
    /// (0 = the secret does not exist).
    case checkAndSetConflict(workspace: String, name: String, expected: UInt32, actual: UInt32)
    /// The value is empty.
    case emptyValue
    /// The value is larger than the configured limit.
    case valueTooLarge(limit: Int)
    /// The value or metadata is not acceptable (for example a malformed OAuth token set).
    case invalidValue(String)
    /// Stored data could not be authenticated: wrong KEK, or a tampered, moved or swapped row.
    case authenticationFailed
    /// An export bundle does not authenticate: altered, truncated or extended, or sealed for
    /// another recipient key or passphrase. Bundles do not involve the KEK.
    case bundleAuthenticationFailed
    /// The key-encryption key cannot be used (missing or unprotected key file, wrong passphrase…).
    case keyUnavailable(String)
    /// The configured KEK (`configured`, its fingerprint) opens none of the store's wrapped
    /// keys, which are under the KEKs `stored`: nothing was wrapped or written with it. Raised
    /// before any operation that would wrap a key (creating a workspace, rotating, creating
    /// the audit key), so a wrong KEK cannot leave keys the right KEK cannot open, and before
    /// every other store change (which a wrong KEK could not record in the audit log).
    case wrongKEK(configured: KEKIdentifier, stored: [KEKIdentifier])
    /// The data key has reached its encryption limit (``RotationPolicy/maxEncryptionsPerDataKey``);
    /// the vault rotates and retries, so callers of the vault normally never see this.
    case dataKeyExhausted(workspace: String, version: UInt32)
    /// Data-key versions cannot be retired or destroyed while `count` kept secret versions are
    /// still sealed under them; re-encrypt first.
    case dataKeyInUse(workspace: String, versions: [UInt32], count: Int)
    /// No such data-key version in the workspace (never created, or destroyed).
    case dataKeyNotFound(workspace: String, version: UInt32)
    /// The store cannot be opened or reached (path, permissions, busy timeout, connection).
    case storeUnavailable(String)
    /// The service that holds the KEK (a KMS, an HSM) cannot be reached right now; data keys
    /// already unwrapped keep serving until they expire. Retry later.
    case kekServiceUnavailable(String)
    /// The store's contents are damaged or from an unknown schema version.
    case storeCorrupted(String)

    /// Whether the store itself failed (``storeUnavailable(_:)``, ``storeCorrupted(_:)``), as
    /// opposed to a key, a name or a value.
    public var isStoreFailure: Bool {
        switch self {
        case .storeUnavailable, .storeCorrupted: return true
        default: return false
        }
    }

    /// Maps an error from the envelope core into the vault's vocabulary.
    public init(_ error: CofferCryptoError) {
        switch error {
        case .authenticationFailed, .malformedHeader:
            self = .authenticationFailed
        case .invalidBundle(let why):
            self = .invalidImport("export bundle refused: \(why)")
        case .bundleAuthenticationFailed:
            self = .bundleAuthenticationFailed
        case .wrongPassphrase, .kekUnavailable, .invalidKey:
            self = .keyUnavailable(error.description)
        case .kekServiceUnavailable:
            self = .kekServiceUnavailable(error.description)
        case .messageTooLarge(let limit):
            self = .valueTooLarge(limit: limit)
        case .invalidContext(let why):
            self = .invalidName(why)
        case .libraryFailure:
            self = .keyUnavailable(error.description)
        @unknown default:
            self = .keyUnavailable(error.description)
        }
    }

    public var description: String {
        switch self {
        case .invalidName(let why): return "invalid name: \(why)"
        case .workspaceNotFound(let ws): return "workspace '\(ws)' does not exist; create it with: coffer workspace create \(ws)"
        case .workspaceExists(let ws): return "workspace '\(ws)' already exists"
        case .workspaceDeleted(let ws):
            return "workspace '\(ws)' is deleted; restore it within the grace period with: coffer workspace undelete \(ws)"
        case .workspaceShredded(let ws):
            return "workspace '\(ws)' was shredded: its data keys are destroyed and its secrets can never be read; the id cannot be reused"
        case .retentionExpired(let ws, let name, let v):
            return "version \(v) of secret '\(name)' in workspace '\(ws)' was deleted longer ago than the retention grace period; it can no longer be restored"
        case .invalidImport(let why): return "invalid import: \(why); nothing was written"
        case .secretNotFound(let ws, let name): return "secret '\(name)' does not exist in workspace '\(ws)'"
        case .versionNotFound(let ws, let name, let v):
            return "secret '\(name)' in workspace '\(ws)' has no version \(v); see: coffer history \(ws) \(name)"
        case .versionDeleted(let ws, let name, let v):
            return "version \(v) of secret '\(name)' in workspace '\(ws)' is deleted; restore it with: coffer undelete \(ws) \(name) --version \(v)"
        case .checkAndSetConflict(let ws, let name, let expected, let actual):
            let found = actual == 0 ? "it does not exist" : "the current version is \(actual)"
            return "check-and-set conflict on secret '\(name)' in workspace '\(ws)': expected version \(expected) but \(found); read it again and retry"
        case .emptyValue: return "value is empty; nothing was stored"
        case .valueTooLarge(let limit): return "value is larger than the limit of \(limit) bytes; nothing was stored"
        case .invalidValue(let why): return "invalid value: \(why)"
        case .authenticationFailed:
            return "authentication failed: stored data does not open with this KEK (wrong key, or the data was altered or moved)"
        case .bundleAuthenticationFailed: return CofferCryptoError.bundleAuthenticationFailed.description + "; nothing was written"
        case .keyUnavailable(let why): return why
        case .wrongKEK(let configured, let stored):
            return "the configured KEK \(configured) is not this store's (its keys are wrapped by \(stored.map(\.description).joined(separator: ", "))); "
                + "nothing was changed. Check --kek / COFFER_KEK (during a KEK rotation also --previous-kek / COFFER_KEK_PREVIOUS)"
        case .dataKeyExhausted(let ws, let v):
            return "data key version \(v) of workspace '\(ws)' reached its encryption limit; rotate with: coffer rotate \(ws)"
        case .dataKeyInUse(let ws, let versions, let count):
            let list = versions.map(String.init).joined(separator: ", ")
            return "\(count) secret version(s) in workspace '\(ws)' are still sealed under data key version(s) \(list); re-encrypt them first with: coffer reencrypt \(ws)"
        case .dataKeyNotFound(let ws, let v):
            return "workspace '\(ws)' has no data key version \(v); see: coffer status \(ws)"
        case .storeUnavailable(let why): return "store unavailable: \(why)"
        case .kekServiceUnavailable(let why): return why
        case .storeCorrupted(let why): return "store damaged: \(why)"
        }
    }
}
