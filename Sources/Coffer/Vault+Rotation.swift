public import CofferCrypto
import Foundation
import Logging

/// Operator operations: key rotation, re-encryption, retirement, revocation and the census.
///
/// They need a store that conforms to ``RotatingSecretStore`` (`SQLiteStore` does); with any
/// other store they throw ``VaultError/storeUnavailable(_:)`` saying so. Every step is one or
/// more store transactions, each conditional on the state it expects, so any of these jobs can
/// be killed at any instant and run again (it resumes), and can run while applications read
/// and write the same workspaces.
///
/// Caches: after a rotation, retirement or revocation this vault never serves the old primary
/// or a retired or destroyed data key from its cache. Other processes keep their cached
/// primary version until it ages out (``VaultConfiguration/dataKeyCacheMaxAge``); the values
/// they write meanwhile are still correct (sealed under a valid, older data key) and the
/// store's encryption count check stays exact regardless. Run ``reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)``
/// after that time to move them too.
extension Vault {
    /// Re-wraps every data key of every workspace under `newKEK` (KEK rotation). No secret
    /// value is touched: the cost grows with the number of data keys, not of secrets.
    ///
    /// Each data key records the KEK that wrapped it; rows are unwrapped with whichever of
    /// `newKEK`, the vault's KEK and ``init(store:kek:previousKEKs:configuration:logger:)``'s
    /// `previousKEKs` wrapped them, re-wrapped under `newKEK` (same workspace and version
    /// binding) and written `batchSize` at a time, each batch one transaction conditional on
    /// the row still being wrapped by the KEK it was read with. Killed half way, the store
    /// holds data keys under both KEKs — a vault configured with either KEK as `kek` and the
    /// other in `previousKEKs` opens everything — and running it again finishes the job. Once
    /// it returns with `finished`, the old KEK is no longer needed (``status(workspace:)``
    /// says so); configure `newKEK` as the vault's KEK.
    ///
    /// ```swift
    /// let report = try await vault.rotateKEK(to: newKEK)
    /// assert(report.finished)
    /// ```
    /// - Throws: ``VaultError/keyUnavailable(_:)`` when a data key is wrapped by a KEK that is
    ///   not configured, ``VaultError/authenticationFailed``, store errors.
    @discardableResult
    public func rotateKEK(
        to newKEK: any KeyEncryptionKeyProvider, batchSize: Int = 100,
        progress: (@Sendable (KEKRotationProgress) -> Void)? = nil
    ) async throws -> KEKRotationProgress {
        try await core.audited(.rotateKEK, actor: actor, workspace: nil, version: nil) {
            try await core.rotateKEK(to: newKEK, batchSize: batchSize, progress: progress)
    
        } describe: { r in (nil, "\(r.rewrapped) keys rewrapped, finished: \(r.finished)") }
    }

    /// Creates a new data-key version for `workspace`, wrapped by the vault's KEK, and makes it
    /// the primary for new writes. Older versions keep opening what they sealed.
    /// - Returns: the primary version afterwards (another process may have rotated at the same
    ///   moment: then its version, and no second key is created).
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/invalidName(_:)``.
    @discardableResult
    public func rotateDataKey(workspace: String) async throws -> UInt32 {
        try await core.audited(.rotateDataKey, actor: actor, workspace: workspace, version: nil) {
            try VaultCore.validateWorkspace(workspace)
            let store = try core.rotatingStore()
            guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
            return try await core.rotatePrimary(workspace: workspace, expectedPrimary: record.primaryDataKeyVersion, reason: "operator")
    
        } describe: { v in (v, nil) }
    }

    /// Retires every data-key version of `workspace` below `version` (sets the minimum
    /// decryption version): nothing sealed under them opens any more.
    ///
    /// Refused while any kept secret version — live or soft-deleted, since a deleted version
    /// can be undeleted — is still sealed under one of them: the error says how many; run
    /// ``reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)`` first.
    /// - Throws: ``VaultError/dataKeyInUse(workspace:versions:count:)``,
    ///   ``VaultError/dataKeyNotFound(workspace:version:)`` when `version` is above the primary.
    public func retireDataKeys(workspace: String, below version: UInt32) async throws {
        try await core.audited(.retireDataKeys, actor: actor, workspace: workspace, version: version) {
            try VaultCore.validateWorkspace(workspace)
            let store = try core.rotatingStore()
            try await core.kekCheck.prove(workspace: workspace)
            try await store.setMinimumDecryptionVersion(workspace: workspace, version)
            core.cache.removeWorkspace(workspace)
            core.rotation.invalidate(workspace)
            core.logger.notice("retired data keys", metadata: ["workspace": "\(workspace)", "below": "\(version)"])
    
        }
    }

    /// Compromise response for data-key `version` of `workspace`: rotates first if it is the
    /// primary, re-encrypts every kept secret version sealed under it to the new primary, then
    /// destroys it. Afterwards no stored value references it and its key is gone.
    ///
    /// Safe to run again after a crash (each step resumes). If a process still writing under
    /// the old primary (stale cache) adds values meanwhile, the re-encryption and destroy are
    /// retried a few times; if it still cannot destroy, it throws
    /// ``VaultError/dataKeyInUse(workspace:versions:count:)`` and nothing is lost: run it again.
    /// - Throws: ``VaultError/dataKeyNotFound(workspace:version:)`` (unknown or already
    ///   destroyed), ``VaultError/dataKeyInUse(workspace:versions:count:)``.
    @discardableResult
    public func revokeDataKey(
        workspace: String, version: UInt32, progress: (@Sendable (ReencryptionProgress) -> Void)? = nil
    ) async throws -> ReencryptionProgress {
        try await core.audited(.revokeDataKey, actor: actor, workspace: workspace, version: version) {
            try VaultCore.validateWorkspace(workspace)
            let store = try core.rotatingStore()
            guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
            guard try await store.dataKeys(workspace: workspace).contains(where: { $0.version == version }) else {
                throw VaultError.dataKeyNotFound(workspace: workspace, version: version)
            }
            // Irreversible (it destroys a key): prove the KEK first, even when no rotation is needed.
            try await core.kekCheck.prove(workspace: workspace)
            if record.primaryDataKeyVersion == version {
                try await core.rotatePrimary(workspace: workspace, expectedPrimary: version, reason: "revoke")
            }
            var attempt = 0
            while true {
                attempt += 1
                let report = try await core.reencrypt(
                    workspace: workspace, onlyDataKeyVersions: [version], batchSize: 100, ratePerSecond: nil, progress: progress)
                do {
                    try await store.destroyDataKey(workspace: workspace, version: version)
                    core.cache.removeWorkspace(workspace)
                    core.rotation.invalidate(workspace)
                    core.logger.notice("revoked data key", metadata: [
                        "workspace": "\(workspace)", "dek_version": "\(version)", "reencrypted": "\(report.reencrypted)",
                    ])
                    return report
                } catch VaultError.dataKeyInUse where attempt < 3 {
                    continue
                }
            }
    
        } describe: { r in (nil, "\(r.reencrypted) re-encrypted") }
    }

    /// Re-seals stored values under their workspace's primary data key: every kept secret
    /// version (live and soft-deleted) sealed under an older data-key version, or only under
    /// `onlyDataKeyVersions`, in `workspace` (nil: every workspace).
    ///
    /// Pages through the store `batchSize` rows at a time (memory stays flat); each row is
    /// opened with its own data key and re-sealed with the same context (workspace, name,
    /// version), and each batch is written in one transaction conditional on every row still
    /// being sealed under the version it was read with. A concurrent writer only adds new
    /// versions, and a prune or another re-encryption wins the row, so nothing is lost or
    /// reverted; kill it at any instant and run it again to finish. `ratePerSecond` limits
    /// the rows handled per second. `progress` is called after every batch and once at the
    /// end. When the primary reaches its encryption limit mid-way it is rotated.
    /// - Throws: ``VaultError/authenticationFailed`` for a row that does not open (nothing of
    ///   that batch is written), ``VaultError/workspaceNotFound(_:)``, store errors.
    @discardableResult
    public func reencrypt(
        workspace: String? = nil, onlyDataKeyVersions: Set<UInt32>? = nil, batchSize: Int = 100, ratePerSecond: Double? = nil,
        progress: (@Sendable (ReencryptionProgress) -> Void)? = nil
    ) async throws -> ReencryptionProgress {
        try await reencrypt(
            workspace: workspace, onlyDataKeyVersions: onlyDataKeyVersions, batchSize: batchSize,
            ratePerSecond: ratePerSecond, control: nil, progress: progress)
    }

    /// ``reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)`` under a
    /// scheduler's `control`: it may end the pass between batches (the report's `finished` is
    /// then false; the next pass resumes) and pauses for the rate through it.
    @discardableResult
    package func reencrypt(
        workspace: String? = nil, onlyDataKeyVersions: Set<UInt32>? = nil, batchSize: Int = 100, ratePerSecond: Double? = nil,
        control: ReencryptionControl?, progress: (@Sendable (ReencryptionProgress) -> Void)? = nil
    ) async throws -> ReencryptionProgress {
        try await core.audited(.reencrypt, actor: actor, workspace: workspace, version: nil) {
            try await core.reencrypt(
                workspace: workspace, onlyDataKeyVersions: onlyDataKeyVersions, batchSize: batchSize,
                ratePerSecond: ratePerSecond, control: control, progress: progress)
    
        } describe: { r in (nil, "\(r.reencrypted) re-encrypted" + (r.finished ? "" : ", stopped")) }
    }

    /// The policy job: rotates the primary data key of every live workspace that its effective
    /// rotation policy (``VaultConfiguration/rotationPolicy`` overridden by the workspace's)
    /// says is due — older than ``RotationPolicy/maxDataKeyAgeSeconds`` or at
    /// ``RotationPolicy/maxEncryptionsPerDataKey`` encryptions. Writes rotate a due key on
    /// their own; this job also rotates the keys of workspaces nobody writes to. Each rotation
    /// is recorded like ``rotateDataKey(workspace:)``; racing another instance is harmless
    /// (one new key is created).
    /// - Returns: the workspaces rotated, ordered by id.
    /// - Throws: ``VaultError/storeUnavailable(_:)`` for a store that cannot rotate, store errors.
    @discardableResult
    public func rotateDueDataKeys() async throws -> [String] {
        let store = try core.rotatingStore()
        var rotated: [String] = []
        for record in try await store.listWorkspaces() where record.deletedAt == nil && record.shreddedAt == nil {
            let policy = core.configuration.rotationPolicy.overridden(by: record.rotationPolicy)
            guard let primary = try await store.dataKeys(workspace: record.id).first(where: { $0.version == record.primaryDataKeyVersion })
            else { continue }
            let age = core.configuration.now().timeIntervalSince(primary.createdAt)
            guard policy.isDue(ageSeconds: age, encryptionCount: primary.encryptionCount) else { continue }
            _ = try await core.audited(.rotateDataKey, actor: actor, workspace: record.id, version: nil) {
                try await core.rotatePrimary(workspace: record.id, expectedPrimary: record.primaryDataKeyVersion, reason: "policy job")
            } describe: { v in (v, "policy") }
            rotated.append(record.id)
        }
        return rotated
    }

    /// The census: KEKs in use and, per workspace (or only `workspace`), data-key versions
    /// with age, encryption count and secret versions per version. Never any value or key.
    public func status(workspace: String? = nil) async throws -> VaultStatus {
        try await core.status(workspace: workspace)
    }

    /// Sets (or, with nil, clears) `workspace`'s override of the vault's rotation policy
    /// (``VaultConfiguration/rotationPolicy``); set fields replace the vault's. This vault
    /// applies it at once, other processes within ``VaultConfiguration/dataKeyCacheMaxAge``.
    /// - Throws: ``VaultError/invalidValue(_:)`` for a non-positive age or an encryption limit
    ///   outside 1...2^32, ``VaultError/workspaceNotFound(_:)``.
    public func setRotationPolicy(workspace: String, _ policy: RotationPolicy?) async throws {
        try await core.audited(.setPolicy, actor: actor, workspace: workspace, version: nil) {
            try VaultCore.validateWorkspace(workspace)
            if let problem = policy?.problem { throw VaultError.invalidValue(problem) }
            let store = try core.rotatingStore()
            try await core.kekCheck.prove(workspace: workspace)
            try await store.setRotationPolicy(workspace: workspace, policy)
            core.rotation.invalidate(workspace)
    
        }
    }
}
