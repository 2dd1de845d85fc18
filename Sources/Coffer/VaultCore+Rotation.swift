import CofferCrypto
import Foundation
import Logging

/// Key selection and automatic rotation: the parts of rotation the read and write paths use.
extension VaultCore {
    /// The store as a ``RotatingSecretStore``, or a clear error when it cannot rotate.
    func rotatingStore() throws -> any RotatingSecretStore {
        guard let rotating = store as? any RotatingSecretStore else {
            throw VaultError.storeUnavailable(
                "this store (\(type(of: store))) does not support key rotation, re-encryption or retirement (it is not a RotatingSecretStore)")
        }
        return rotating
    }

    // MARK: Unwrapping

    /// The configured KEK whose id is the one recorded with `record` (the current KEK first,
    /// then ``previousKEKs`` in order).
    /// - Throws: ``VaultError/keyUnavailable(_:)`` naming the missing KEK when an unfinished
    ///   KEK rotation left this data key under a KEK that is not configured (some data keys of
    ///   the store are wrapped by a configured KEK); ``VaultError/authenticationFailed``
    ///   otherwise (wrong KEK, or an altered row).
    func unwrappingProvider(for record: DataKeyRecord) async throws -> any KeyEncryptionKeyProvider {
        let wanted = record.wrapped.kekID
        var configured: [KEKIdentifier] = []
        for provider in [kek] + previousKEKs {
            let id = try await Self.mappingCrypto { try await provider.keyID() }
            if id == wanted { return provider }
            configured.append(id)
        }
        throw await Self.kekNotConfigured(
            "data key version \(record.version) of workspace '\(record.workspace)'", wanted: wanted, configured: configured,
            store: store, logger: logger)
    }

    /// The error for a stored key (`what`, e.g. "audit key version 1") wrapped by KEK `wanted`,
    /// which none of the `configured` KEKs is. Is this an unfinished KEK rotation (a configured
    /// KEK wraps other data keys of the store) or simply the wrong KEK?
    /// - Returns: ``VaultError/keyUnavailable(_:)`` naming the missing KEK and the fix for a
    ///   rotation (exit 78 in the CLI); ``VaultError/authenticationFailed`` otherwise (77).
    static func kekNotConfigured(
        _ what: String, wanted: KEKIdentifier, configured: [KEKIdentifier], store: (any SecretStore)?, logger: Logger?
    ) async -> VaultError {
        let metadata: Logger.Metadata = [
            "key": "\(what)", "kek": "\(wanted)", "configured_keks": "\(configured.map(\.description))",
        ]
        if let rotating = store as? any RotatingSecretStore,
           let counts = try? await rotating.dataKeyCountByKEK(),
           configured.contains(where: { (counts[$0] ?? 0) > 0 }) {
            logger?.warning("key wrapped by a KEK that is not configured", metadata: metadata)
            return VaultError.keyUnavailable(
                "\(what) is wrapped by KEK \(wanted), which is not configured "
                    + "(configured: \(configured.map(\.description).joined(separator: ", "))). A KEK rotation is unfinished: pass the "
                    + "old KEK with --previous-kek URI (or COFFER_KEK_PREVIOUS) and finish it with: coffer rotate-kek --new-kek URI")
        }
        logger?.warning("key does not belong to the configured KEK", metadata: metadata)
        return VaultError.authenticationFailed
    }

    /// Refuses data-key versions below the workspace's minimum decryption version.
    func checkNotRetired(workspace: String, version: UInt32) async throws {
        guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
        if version < record.minimumDecryptionVersion {
            logger.warning("retired data key version requested", metadata: [
                "workspace": "\(workspace)", "dek_version": "\(version)", "minimum": "\(record.minimumDecryptionVersion)",
            ])
            throw VaultError.authenticationFailed
        }
    }

    // MARK: Writing under the primary key

    /// Runs one write (`body`) under the workspace's primary data key, applying the rotation
    /// policy: when the primary key is older than the age limit it is rotated first; when the
    /// store refuses the write with ``VaultError/dataKeyExhausted(workspace:version:)`` the key
    /// is rotated (or, if another writer rotated first, the new primary is loaded) and the
    /// write retried. `body` receives the data-key version and the encryption limit to pass
    /// to the store.
    func sealingUnderPrimary<T>(
        workspace: String, _ body: (_ dataKeyVersion: UInt32, _ encryptionLimit: UInt64?) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let cached = try await primaryVersion(of: workspace)
            var entry = try await rotationEntry(of: workspace, primary: cached)
            if let maxAge = entry.policy.maxDataKeyAgeSeconds, let created = entry.primaryCreatedAt,
               configuration.now().timeIntervalSince(created) >= maxAge, store is any RotatingSecretStore {
                _ = try await rotatePrimary(workspace: workspace, expectedPrimary: entry.primaryVersion, reason: "max age")
                entry = try await rotationEntry(of: workspace, primary: try await primaryVersion(of: workspace))
            }
            do {
                return try await body(entry.primaryVersion, entry.policy.maxEncryptionsPerDataKey)
            } catch VaultError.dataKeyExhausted(let ws, let version) where ws == workspace && attempt < 8 && store is any RotatingSecretStore {
                _ = try await rotatePrimary(workspace: workspace, expectedPrimary: version, reason: "max encryptions")
            }
        }
    }

    /// The effective policy and primary-key facts of `workspace`, cached per primary version.
    func rotationEntry(of workspace: String, primary: UInt32) async throws -> RotationGate.Entry {
        if let entry = rotation.entry(of: workspace, primary: primary) { return entry }
        guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
        let policy = configuration.rotationPolicy.overridden(by: record.rotationPolicy)
        var createdAt: Date?
        if policy.maxDataKeyAgeSeconds != nil {
            createdAt = try await store.dataKeys(workspace: workspace).first { $0.version == record.primaryDataKeyVersion }?.createdAt
        }
        let entry = RotationGate.Entry(
            primaryVersion: record.primaryDataKeyVersion, primaryCreatedAt: createdAt, policy: policy, fetchedAt: configuration.now())
        if record.primaryDataKeyVersion != primary { cache.setPrimaryVersion(record.primaryDataKeyVersion, of: workspace) }
        rotation.set(entry, of: workspace)
        return entry
    }

    // MARK: Rotating

    /// Makes a fresh data key the workspace's primary, if the primary is still
    /// `expectedPrimary`; wraps it with the current KEK. Losing the race to another writer
    /// is fine: the primary it created is loaded instead.
    /// - Returns: the primary data-key version afterwards.
    @discardableResult
    func rotatePrimary(workspace: String, expectedPrimary: UInt32, reason: String) async throws -> UInt32 {
        let store = try rotatingStore()
        let next = expectedPrimary + 1
        guard let owner = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
        if owner.shreddedAt != nil { throw VaultError.workspaceShredded(workspace) }
        if owner.deletedAt != nil { throw VaultError.workspaceDeleted(workspace) }
        try await kekCheck.prove(workspace: workspace)
        let binding = DataKeyRecord.wrapBinding(workspace: workspace, keyGeneration: owner.keyGeneration)
        let (wrapped, prepared) = try await Self.mappingCrypto {
            let (dek, wrapped) = try await kek.generateDataKey(workspace: binding, dataKeyVersion: next)
            return (wrapped, try EnvelopeKey(dek, id: next))
        }
        let record = DataKeyRecord(workspace: workspace, version: next, wrapped: wrapped, createdAt: configuration.now())
        rotation.invalidate(workspace)
        if try await store.rotateDataKey(record, expectedPrimary: expectedPrimary) {
            metrics.rotation(reason: reason).increment()
            cache.insert(workspace: workspace, version: next, key: prepared)
            cache.setPrimaryVersion(next, of: workspace)
            logger.info("rotated data key", metadata: [
                "workspace": "\(workspace)", "dek_version": "\(next)", "previous": "\(expectedPrimary)", "reason": "\(reason)",
                "kek": "\(wrapped.kekID)",
            ])
            // New puts use the new key: what this vault leased on older ones goes back.
            await releaseEncryptionLeases(workspace: workspace, below: next)
            return next
        }
        guard let current = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
        cache.setPrimaryVersion(current.primaryDataKeyVersion, of: workspace)
        await releaseEncryptionLeases(workspace: workspace, below: current.primaryDataKeyVersion)
        logger.debug("another writer rotated first", metadata: [
            "workspace": "\(workspace)", "dek_version": "\(current.primaryDataKeyVersion)",
        ])
        return current.primaryDataKeyVersion
    }
}
