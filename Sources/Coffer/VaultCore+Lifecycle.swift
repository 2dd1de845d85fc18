import CofferCrypto
import Foundation
import Logging

/// Workspace deletion, crypto-shredding and retention.
extension VaultCore {
    /// The record of `id`, which must exist and not be shredded.
    private func liveOrDeletedWorkspace(_ id: String, store: any LifecycleSecretStore) async throws -> WorkspaceRecord {
        try Self.validateWorkspace(id)
        guard let record = try await store.workspace(id) else { throw VaultError.workspaceNotFound(id) }
        if record.shreddedAt != nil { throw VaultError.workspaceShredded(id) }
        return record
    }

    /// See ``Vault/deleteWorkspace(_:)``.
    func deleteWorkspace(_ id: String, actor: String) async throws -> Bool {
        try await audited(.deleteWorkspace, actor: actor, workspace: id) {
            let store = try lifecycleStore()
            _ = try await liveOrDeletedWorkspace(id, store: store)
            try await kekCheck.prove(workspace: id)
            let changed = try await store.setWorkspaceDeleted(id, at: configuration.now())
            forget(id)
            logger.info("deleted workspace", metadata: ["workspace": "\(id)", "changed": "\(changed)"])
            return changed
        } describe: { changed in (nil, changed ? nil : "already deleted") }
    }

    /// See ``Vault/undeleteWorkspace(_:)``.
    func undeleteWorkspace(_ id: String, actor: String) async throws -> Bool {
        try await audited(.undeleteWorkspace, actor: actor, workspace: id) {
            let store = try lifecycleStore()
            let record = try await liveOrDeletedWorkspace(id, store: store)
            try await kekCheck.prove(workspace: id)
            if let deletedAt = record.deletedAt, pastGrace(deletedAt) {
                throw VaultError.invalidValue(
                    "workspace '\(id)' was deleted more than the grace period ago; it can no longer be restored and the next purge shreds it")
            }
            let changed = try await store.setWorkspaceDeleted(id, at: nil)
            forget(id)
            logger.info("undeleted workspace", metadata: ["workspace": "\(id)", "changed": "\(changed)"])
            return changed
        } describe: { changed in (nil, changed ? nil : "was not deleted") }
    }

    /// Whether something deleted at `date` is past the deletion grace period.
    func pastGrace(_ date: Date) -> Bool {
        configuration.now().timeIntervalSince(date) > configuration.deletionGracePeriod.timeInterval
    }

    /// Drops everything cached about `id`.
    func forget(_ id: String) {
        cache.removeWorkspace(id)
        rotation.invalidate(id)
    }

    /// See ``Vault/shredWorkspace(_:)``. Idempotent: a shredded workspace gives its receipt
    /// again without the destroyed counts (they are gone with the keys).
    func shredWorkspace(_ id: String, actor: String) async throws -> ShredReceipt {
        let store = try lifecycleStore()
        try Self.validateWorkspace(id)
        var receipt: ShredReceipt?
        do {
            guard let record = try await store.workspace(id) else { throw VaultError.workspaceNotFound(id) }
            if record.shreddedAt != nil { throw VaultError.workspaceShredded(id) }
            try await kekCheck.prove(workspace: id)
            let keks = Set(try await store.dataKeys(workspace: id).map(\.wrapped.kekID.description)).sorted()
            let now = configuration.now()
            let generation = try await Self.mappingCrypto { try RandomToken.hex(byteCount: 16) }
            guard let result = try await store.shredWorkspace(id, now: now, newKeyGeneration: generation) else {
                throw VaultError.workspaceShredded(id)  // another process shredded it first
            }
            forget(id)
            receipt = ShredReceipt(
                workspace: id, shreddedAt: AuditChain.storedPrecision(now), deletedAt: record.deletedAt.map(AuditChain.storedPrecision) ?? AuditChain.storedPrecision(now),
                dataKeyVersionsDestroyed: result.dataKeyVersionsDestroyed, secretVersionsUnreadable: result.secretVersionsDestroyed,
                kekIDs: keks, auditSequence: nil, auditChainHead: nil)
            logger.notice("shredded workspace", metadata: [
                "workspace": "\(id)", "dek_versions": "\(result.dataKeyVersionsDestroyed)", "secret_versions": "\(result.secretVersionsDestroyed)",
            ])
        } catch {
            let (outcome, detail) = Self.auditOutcome(of: error)
            try? await recordAudit(AuditEvent(time: configuration.now(), actor: actor, action: .shredWorkspace, outcome: outcome, workspace: id, detail: detail))
            throw error
        }
        guard var receipt else { throw VaultError.storeCorrupted("shred produced no receipt") }
        let detail = "data keys \(receipt.dataKeyVersionsDestroyed.map(String.init).joined(separator: ",")); \(receipt.secretVersionsUnreadable) secret versions"
        // The shred is done and irreversible: its receipt is returned whatever happens to the
        // audit record (without the audit fields when it could not be written).
        do {
            try await recordAudit(AuditEvent(time: configuration.now(), actor: actor, action: .shredWorkspace, outcome: .success, workspace: id, detail: detail))
            if auditKeyring != nil, audit != nil {
                let head = try await store.auditHead()
                receipt.auditSequence = head.sequence
                receipt.auditChainHead = Hex.string(head.mac)
            }
        } catch {
            logger.error("workspace shredded but its audit record could not be written", metadata: ["workspace": "\(id)", "error": "\(error)"])
        }
        return receipt
    }

    /// See ``Vault/purge(batchSize:)``.
    func purge(batchSize: Int, actor: String) async throws -> PurgeReport {
        let store = try lifecycleStore()
        try Self.checkBatchSize(batchSize)
        try await kekCheck.prove(workspace: nil)
        let now = configuration.now()
        let cutoff = now.addingTimeInterval(-configuration.deletionGracePeriod.timeInterval)
        var purged = 0
        while true {
            try Task.checkCancellation()
            let rows = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: cutoff, limit: batchSize)
            if rows.isEmpty { break }
            purged += rows.count
            try await audit?.record(contentsOf: rows.map { row in
                AuditEvent(
                    time: configuration.now(), actor: actor, action: .purge, outcome: .success,
                    workspace: row.workspace, name: row.name, version: row.version, detail: "deleted past grace")
            })
            if rows.count < batchSize { break }
        }
        var receipts: [ShredReceipt] = []
        for workspace in try await store.workspacesDeleted(atOrBefore: cutoff) {
            do {
                receipts.append(try await shredWorkspace(workspace.id, actor: actor))
            } catch VaultError.workspaceShredded {
                continue  // another instance's purge got there first
            }
        }
        let auditPurged = try await purgeAudit(now: now)
        if auditPurged > 0 {
            try await recordAudit(AuditEvent(
                time: configuration.now(), actor: actor, action: .auditPurge, outcome: .success, detail: "\(auditPurged) records past retention"))
        }
        logger.info("purge finished", metadata: [
            "secret_versions": "\(purged)", "workspaces": "\(receipts.count)", "audit_records": "\(auditPurged)",
        ])
        return PurgeReport(secretVersionsPurged: purged, workspacesShredded: receipts, auditRecordsPurged: auditPurged)
    }
}
