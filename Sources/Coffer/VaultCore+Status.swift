import CofferCrypto
import Foundation

/// Builds the ``VaultStatus`` census.
extension VaultCore {
    /// See ``Vault/status(workspace:)``.
    func status(workspace: String?) async throws -> VaultStatus {
        let store = try rotatingStore()
        let currentID = try await Self.mappingCrypto { try await kek.keyID() }
        var previousIDs: Set<KEKIdentifier> = []
        for provider in previousKEKs { previousIDs.insert(try await Self.mappingCrypto { try await provider.keyID() }) }

        let records: [WorkspaceRecord]
        if let workspace {
            try Self.validateWorkspace(workspace)
            guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
            records = [record]
        } else {
            records = try await store.listWorkspaces()
        }
        let now = configuration.now()
        var workspaces: [VaultStatus.WorkspaceStatus] = []
        for record in records {
            let keys = try await store.dataKeys(workspace: record.id)
            let usage = Dictionary(uniqueKeysWithValues: try await store.dataKeyUsage(workspace: record.id).map { ($0.dataKeyVersion, $0) })
            let policy = configuration.rotationPolicy.overridden(by: record.rotationPolicy)
            let dataKeys = keys.map { key in
                VaultStatus.DataKeyStatus(
                    version: key.version, createdAt: key.createdAt, ageSeconds: now.timeIntervalSince(key.createdAt),
                    kekID: key.wrapped.kekID, encryptionCount: key.encryptionCount,
                    liveSecretVersions: usage[key.version]?.liveSecretVersions ?? 0,
                    deletedSecretVersions: usage[key.version]?.deletedSecretVersions ?? 0,
                    primary: key.version == record.primaryDataKeyVersion, retired: key.version < record.minimumDecryptionVersion)
            }
            let toReencrypt = usage.values.filter { $0.dataKeyVersion != record.primaryDataKeyVersion }
                .reduce(0) { $0 + $1.liveSecretVersions + $1.deletedSecretVersions }
            let due = dataKeys.first(where: \.primary).map { policy.isDue(ageSeconds: $0.ageSeconds, encryptionCount: $0.encryptionCount) } ?? false
            workspaces.append(VaultStatus.WorkspaceStatus(
                id: record.id, primaryDataKeyVersion: record.primaryDataKeyVersion,
                minimumDecryptionVersion: record.minimumDecryptionVersion, policy: policy, policyOverride: record.rotationPolicy,
                dataKeys: dataKeys, secretVersionsToReencrypt: toReencrypt, rotationDue: due))
        }

        var counts = try await store.dataKeyCountByKEK().filter { $0.value > 0 }
        // The audit MAC keys are wrapped by the KEK too: a KEK that wraps one is still needed
        // (listed with the number of data keys it wraps, possibly 0).
        if let lifecycle = store as? any LifecycleSecretStore {
            for key in try await lifecycle.auditKeys() where counts[key.wrapped.kekID] == nil { counts[key.wrapped.kekID] = 0 }
        }
        let keks = counts.sorted { ($0.key == currentID ? 0 : 1, $0.key.description) < ($1.key == currentID ? 0 : 1, $1.key.description) }
            .map { id, count in
                VaultStatus.KEKUsage(
                    kekID: id, dataKeys: count,
                    role: id == currentID ? "current" : previousIDs.contains(id) ? "previous" : "unconfigured")
            }
        return VaultStatus(
            currentKEK: currentID, keks: keks, otherKEKsNeeded: counts.keys.contains { $0 != currentID },
            workspaces: workspaces)
    }
}
