public import Foundation

/// Where a vault keeps its rows. Every method names the workspace it touches and must touch no
/// other; the vault only ever passes the workspace of the scope it was called through.
///
/// Implementations: `SQLiteStore` (module `CofferSQLite`, the embedded default) and, later, a
/// PostgreSQL store. `CofferStoreConformance` holds the behaviour every store must show; run it
/// against a new store before trusting it.
///
/// Rules every implementation follows:
/// - Every multi-row change happens in one transaction: nothing is ever half-written.
/// - Errors are ``VaultError`` values (`workspaceNotFound`, `secretNotFound`,
///   `versionNotFound`, `checkAndSetConflict`, `workspaceExists`, `storeUnavailable`,
///   `storeCorrupted`).
/// - Values are opaque sealed bytes; a store never sees plaintext or keys.
public protocol SecretStore: Sendable {
    /// Creates `workspace` with its first data key, atomically.
    /// - Throws: ``VaultError/workspaceExists(_:)``.
    func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws

    /// The workspace, or nil.
    func workspace(_ id: String) async throws -> WorkspaceRecord?

    /// All workspaces, ordered by id.
    func listWorkspaces() async throws -> [WorkspaceRecord]

    /// The workspace's data keys, ordered by version. Empty when the workspace is unknown.
    func dataKeys(workspace: String) async throws -> [DataKeyRecord]

    /// Writes a new version of a secret in one transaction: checks that the workspace exists,
    /// applies the check-and-set rule of `request`, picks the new version number (one more than
    /// the highest ever written for this name, so numbers are never reused), calls `seal` with
    /// it to obtain the sealed value, inserts it, and removes the oldest versions beyond
    /// `request.maxVersions`. If `seal` throws, nothing is written and the error is rethrown.
    /// A store may call `seal` before its checks, or more than once (first with the number it
    /// expects, then with the one it got), to save round trips; only the value it stores is
    /// kept and counted, and a refused put writes and counts nothing.
    /// - Returns: the new version's info.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/checkAndSetConflict(workspace:name:expected:actual:)``.
    func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8]
    ) async throws -> SecretVersionInfo

    /// One stored version (live or soft-deleted) with its sealed value; `version` nil means the
    /// current (highest kept) version. Nil when there is no such secret or version.
    func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion?

    /// Every secret of the workspace that has at least one kept version, ordered by name.
    func listSecrets(workspace: String) async throws -> [SecretSummary]

    /// Every kept version of a secret, oldest first. Empty when there is no such secret.
    func history(workspace: String, name: String) async throws -> [SecretVersionInfo]

    /// Soft-deletes (`deletedAt` non-nil) or undeletes (`deletedAt` nil) the given versions of
    /// a secret, or all of its kept versions when `versions` is nil, in one transaction.
    /// - Returns: the versions whose state changed, ascending.
    /// - Throws: ``VaultError/secretNotFound(workspace:name:)``, ``VaultError/versionNotFound(workspace:name:version:)``
    ///   (then nothing changes).
    func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32]

    /// Gives back `count` encryptions that puts counted under data key `dataKeyVersion` of
    /// `workspace` (``PutSecretRequest/encryptionsToCount`` above 1) and that were never used:
    /// a vault's unused lease, at shutdown. Lowers the key's encryption count by `count`, never
    /// below zero, in one statement; a key that is gone or retired is left alone. The default
    /// implementation does nothing (the count stays higher than the values sealed, which only
    /// makes rotation come earlier).
    func releaseEncryptions(workspace: String, dataKeyVersion: UInt32, count: UInt64) async throws
}

extension SecretStore {
    /// See ``SecretStore/releaseEncryptions(workspace:dataKeyVersion:count:)``: keeps the
    /// count as it is.
    public func releaseEncryptions(workspace: String, dataKeyVersion: UInt32, count: UInt64) async throws {}
}
