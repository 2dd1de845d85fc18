public import CofferCrypto
public import Foundation

/// The part of the store contract that key rotation, re-encryption and retirement use
/// (fleet-wide jobs: they may touch every workspace, and run from the CLI or an operator job,
/// never through a ``WorkspaceScope``).
///
/// Every method that changes rows is one transaction and conditional on the state it expects,
/// so two processes running the same job at once never corrupt, duplicate or revert anything:
/// one of them wins each row and the other sees its condition fail.
public protocol RotatingSecretStore: SecretStore {
    /// Adds `record` as the workspace's new data key and makes it primary, atomically, only if
    /// the current primary version is still `expectedPrimary` and `record.version` is one more
    /// than the highest data-key version the workspace ever had.
    /// - Returns: false, changing nothing, when another writer rotated first.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``.
    func rotateDataKey(_ record: DataKeyRecord, expectedPrimary: UInt32) async throws -> Bool

    /// Up to `limit` data keys of any workspace that are not wrapped by `kekID`, ordered by
    /// (workspace, version).
    func dataKeys(notWrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord]

    /// Up to `limit` data keys of any workspace wrapped by `kekID` (the vault opens one to
    /// prove its KEK is the store's before wrapping anything). The default implementation
    /// walks ``SecretStore/listWorkspaces()`` and ``SecretStore/dataKeys(workspace:)``.
    func dataKeys(wrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord]

    /// Applies the rewraps in one transaction; each applies only if its row is still wrapped
    /// by `expectedKEKID`. Returns how many applied.
    func rewrapDataKeys(_ rewraps: [DataKeyRewrap]) async throws -> Int

    /// How many data keys (all workspaces) each KEK wraps.
    func dataKeyCountByKEK() async throws -> [KEKIdentifier: Int]

    /// Up to `limit` kept secret versions (live and soft-deleted) of `workspace` whose data-key
    /// version is in `dataKeyVersions`, ordered by (name, version) and strictly after `cursor`.
    func secretVersions(
        workspace: String, sealedUnder dataKeyVersions: Set<UInt32>, after cursor: SecretVersionCursor?, limit: Int
    ) async throws -> [StoredSecretVersion]

    /// Applies the replacements in one transaction; each applies only if its row still exists
    /// and is still sealed under `expectedDataKeyVersion` (a prune, a concurrent re-encryption
    /// or a concurrent revoke wins). The encryption count of each new data-key version grows by
    /// the number applied to it; if that would pass `encryptionLimit`, nothing is written and
    /// ``VaultError/dataKeyExhausted(workspace:version:)`` is thrown. Returns how many applied.
    func replaceCiphertexts(
        workspace: String, _ replacements: [CiphertextReplacement], encryptionLimit: UInt64?
    ) async throws -> Int

    /// Kept secret versions per data-key version, ascending by version (versions with no
    /// secret versions are omitted).
    func dataKeyUsage(workspace: String) async throws -> [DataKeyUsage]

    /// Kept secret versions (live and soft-deleted) of `workspace` per data-key version
    /// (versions with none omitted): ``dataKeyUsage(workspace:)`` without the live/deleted
    /// split, which a store may answer from an index alone. The re-encryption engine plans
    /// with it. The default implementation sums ``dataKeyUsage(workspace:)``.
    func secretVersionCounts(workspace: String) async throws -> [UInt32: Int]

    /// Retires every data-key version below `version`.
    /// - Throws: ``VaultError/dataKeyInUse(workspace:versions:count:)`` (nothing changes) while
    ///   any kept secret version is sealed under one of them, ``VaultError/dataKeyNotFound(workspace:version:)``
    ///   when `version` is above the primary version.
    func setMinimumDecryptionVersion(workspace: String, _ version: UInt32) async throws

    /// Deletes data-key version `version` for good (crypto-shredding what it sealed).
    /// - Throws: ``VaultError/dataKeyInUse(workspace:versions:count:)`` while any kept secret
    ///   version uses it or it is the primary, ``VaultError/dataKeyNotFound(workspace:version:)``.
    func destroyDataKey(workspace: String, version: UInt32) async throws

    /// Sets or clears the workspace's rotation-policy override.
    func setRotationPolicy(workspace: String, _ policy: RotationPolicy?) async throws
}

extension RotatingSecretStore {
    /// See ``RotatingSecretStore/dataKeys(wrappedBy:limit:)``: walks the workspaces.
    public func dataKeys(wrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        var found: [DataKeyRecord] = []
        guard limit > 0 else { return found }
        for workspace in try await listWorkspaces() where workspace.shreddedAt == nil {
            found += try await dataKeys(workspace: workspace.id).filter { $0.wrapped.kekID == kekID }.prefix(limit - found.count)
            if found.count >= limit { break }
        }
        return found
    }

    /// See ``RotatingSecretStore/secretVersionCounts(workspace:)``: the sum of live and
    /// deleted versions of ``dataKeyUsage(workspace:)``.
    public func secretVersionCounts(workspace: String) async throws -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for usage in try await dataKeyUsage(workspace: workspace) {
            counts[usage.dataKeyVersion, default: 0] += usage.liveSecretVersions + usage.deletedSecretVersions
        }
        return counts
    }
}
