import CofferCrypto
import Foundation
import Logging

/// KEK rotation: re-wraps data keys; never touches a secret value.
extension VaultCore {
    /// See ``Vault/rotateKEK(to:batchSize:progress:)``.
    func rotateKEK(
        to newKEK: any KeyEncryptionKeyProvider, batchSize: Int, progress: (@Sendable (KEKRotationProgress) -> Void)?
    ) async throws -> KEKRotationProgress {
        let store = try rotatingStore()
        try Self.checkBatchSize(batchSize)
        // Counted, timed and traced like the vault's own KEKs.
        let newKEK = InstrumentedKEK.wrapping(newKEK, metrics: metrics, tracer: tracer)
        let newID = try await Self.mappingCrypto { try await newKEK.keyID() }
        // The current (and previous) KEKs must be the store's; the new KEK is new.
        try await kekCheck.prove(workspace: nil, also: [newKEK])
        // Every KEK that may have wrapped a data key: the new one, the current, the previous.
        var providers: [KEKIdentifier: any KeyEncryptionKeyProvider] = [:]
        for provider in [kek] + previousKEKs {
            let id = try await Self.mappingCrypto { try await provider.keyID() }
            if providers[id] == nil { providers[id] = provider }
        }
        providers[newID] = newKEK

        // The audit MAC keys first (a handful; not counted in the report, which counts data keys).
        if let keyring = auditKeyring, let lifecycle = store as? any LifecycleSecretStore {
            // Make sure the audit key exists now, so it is re-wrapped with the rest and the
            // rotation's own audit record does not create one under the old KEK afterwards.
            var n = try await keyring.rewrap(to: newKEK, newID: newID, providers: providers, lifecycle)
            if audit != nil {
                _ = try await keyring.current(lifecycle)
                n += try await keyring.rewrap(to: newKEK, newID: newID, providers: providers, lifecycle)
            }
            if n > 0 { logger.info("re-wrapped audit keys", metadata: ["new_kek": "\(newID)", "audit_keys": "\(n)"]) }
        }

        let counts = try await store.dataKeyCountByKEK()
        let total = counts.filter { $0.key != newID }.reduce(0) { $0 + $1.value }
        var report = KEKRotationProgress(newKEK: newID, rewrapped: 0, total: total, batches: 0, finished: false)
        logger.info("KEK rotation started", metadata: ["new_kek": "\(newID)", "data_keys": "\(total)"])
        var idle = 0
        while true {
            try Task.checkCancellation()
            // Rows leave this query as they are re-wrapped: no cursor, a rerun resumes.
            let rows = try await store.dataKeys(notWrappedBy: newID, limit: batchSize)
            if rows.isEmpty { break }
            // Check every row's KEK first (nothing is sent for a batch that cannot finish), then
            // unwrap and re-wrap with up to `rewrapConcurrency` in flight: a KMS or HSM round trip
            // per key would otherwise make a rotation over many workspaces take minutes.
            var work: [(row: DataKeyRecord, provider: any KeyEncryptionKeyProvider)] = []
            work.reserveCapacity(rows.count)
            for row in rows {
                guard let provider = providers[row.wrapped.kekID] else {
                    logger.warning("data key wrapped by an unconfigured KEK", metadata: [
                        "workspace": "\(row.workspace)", "dek_version": "\(row.version)", "kek": "\(row.wrapped.kekID)",
                    ])
                    throw VaultError.keyUnavailable(
                        "data key version \(row.version) of workspace '\(row.workspace)' is wrapped by KEK \(row.wrapped.kekID), "
                            + "which is neither the new KEK nor a configured one; pass that KEK with --kek or --previous-kek and run the rotation again")
                }
                work.append((row, provider))
            }
            let rewraps = try await Self.rewrapConcurrently(work, to: newKEK, limit: Self.rewrapConcurrency)
            let applied = try await store.rewrapDataKeys(rewraps)
            report.rewrapped += applied
            report.batches += 1
            metrics.kekRewrapped.increment(by: applied)
            metrics.kekRotationRemaining.set(max(0, report.total - report.rewrapped))
            progress?(report)
            // Zero applied means another rotation changed these rows first; they leave the
            // query. A store that keeps returning them would loop: stop instead.
            idle = applied == 0 ? idle + 1 : 0
            if idle > 10 {
                throw VaultError.storeCorrupted("the store keeps returning data keys it does not re-wrap; KEK rotation stopped")
            }
        }
        var auditKeysLeft = false
        if let lifecycle = store as? any LifecycleSecretStore {
            auditKeysLeft = try await lifecycle.auditKeys().contains { $0.wrapped.kekID != newID }
        }
        let after = try await store.dataKeyCountByKEK()
        report.finished = !auditKeysLeft && after.allSatisfy { $0.key == newID || $0.value == 0 }
        if report.finished { metrics.kekRotationRemaining.set(0) }
        progress?(report)
        logger.info("KEK rotation finished", metadata: ["new_kek": "\(newID)", "rewrapped": "\(report.rewrapped)"])
        return report
    }

    /// Most data keys re-wrapped at once during a KEK rotation (each is one unwrap and one wrap,
    /// a network round trip each with a KMS).
    static let rewrapConcurrency = 16

    /// Unwraps each row's data key with its provider and wraps it with `newKEK`, with at most
    /// `limit` keys in flight; the first failure cancels the rest and is rethrown.
    static func rewrapConcurrently(
        _ work: [(row: DataKeyRecord, provider: any KeyEncryptionKeyProvider)], to newKEK: any KeyEncryptionKeyProvider, limit: Int
    ) async throws -> [DataKeyRewrap] {
        try await withThrowingTaskGroup(of: DataKeyRewrap.self) { group in
            var next = 0
            var out: [DataKeyRewrap] = []
            out.reserveCapacity(work.count)
            func start() {
                let (row, provider) = work[next]
                next += 1
                group.addTask {
                    let wrapped = try await mappingCrypto {
                        let dek = try await provider.unwrap(row.wrapped, workspace: row.wrapBinding, dataKeyVersion: row.version)
                        return try await newKEK.wrap(dek, workspace: row.wrapBinding, dataKeyVersion: row.version)
                    }
                    return DataKeyRewrap(workspace: row.workspace, version: row.version, expectedKEKID: row.wrapped.kekID, wrapped: wrapped)
                }
            }
            while next < work.count && next < limit { start() }
            while let done = try await group.next() {
                out.append(done)
                if next < work.count { start() }
            }
            return out
        }
    }
}
