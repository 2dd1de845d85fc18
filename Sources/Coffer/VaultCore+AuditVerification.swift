import CofferCrypto
import Foundation
import Logging

/// Verifying and trimming the audit chain.
extension VaultCore {
    /// See ``Vault/verifyAudit()``. Reads the log from one consistent snapshot of the store
    /// (``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``), so appends and
    /// purges by other processes meanwhile never show as tampering.
    func verifyAudit(pageSize: Int = 2000) async throws -> AuditVerification {
        let store = try lifecycleStore()
        guard let keyring = auditKeyring else { throw VaultError.storeUnavailable("this store keeps no audit log") }
        try await audit?.flush()
        // The verifier is synchronous (it runs inside the store's read transaction): audit keys
        // the snapshot names that this vault has not unwrapped yet are unwrapped outside it, and
        // the snapshot is read again (an audit key is created at most once per version).
        for _ in 0..<3 {
            var verifier = AuditChainVerifier { keyring.cachedKey(version: $0) }
            var locked: [AuditKeyRecord] = []
            do {
                try await store.readAuditSnapshot(
                    pageSize: pageSize,
                    state: { snapshot in
                        locked = snapshot.keys.filter { keyring.cachedKey(version: $0.version) == nil }
                        return locked.isEmpty ? try verifier.start(snapshot) : false
                    },
                    records: { page in try verifier.check(page) })
            } catch let damage as AuditRowDamage {
                verifier.damaged(damage)
            }
            if locked.isEmpty { return try verifier.finish() }
            for record in locked { try await keyring.key(for: record) }
        }
        throw VaultError.storeUnavailable("the audit keys kept changing while the audit log was verified; run the verification again")
    }

    /// Removes records older than the audit retention behind a sealed checkpoint.
    /// - Returns: how many records were removed.
    func purgeAudit(now: Date) async throws -> Int {
        let store = try lifecycleStore()
        guard let keyring = auditKeyring else { return 0 }
        let cutoff = now.addingTimeInterval(-configuration.audit.retention.timeInterval)
        guard let through = try await store.lastAuditSequence(before: cutoff) else { return 0 }
        if let existing = try await store.auditCheckpoint(), existing.sequence >= through { return 0 }
        guard let record = try await store.auditRecords(AuditQuery(afterSequence: through - 1, limit: 1)).first,
              record.sequence == through
        else { return 0 }
        let (keyVersion, key) = try await keyring.current(store)
        let checkpoint = try AuditChain.checkpoint(sequence: through, mac: record.mac, createdAt: now, key: key, keyVersion: keyVersion)
        return try await store.purgeAudit(through: checkpoint)
    }
}
