import CofferCrypto
import Foundation
import Logging

/// The re-encryption engine: moves stored values from older data-key versions to the primary.
extension VaultCore {
    /// Re-seals every kept secret version (live and soft-deleted) of `workspace` (nil: every
    /// workspace) that is sealed under one of `onlyDataKeyVersions` (nil: any version but the
    /// primary) under the workspace's primary data key. See
    /// ``Vault/reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)``.
    func reencrypt(
        workspace: String?, onlyDataKeyVersions: Set<UInt32>?, batchSize: Int, ratePerSecond: Double?,
        control: ReencryptionControl? = nil, progress: (@Sendable (ReencryptionProgress) -> Void)?
    ) async throws -> ReencryptionProgress {
        let store = try rotatingStore()
        try Self.checkBatchSize(batchSize)
        if let ratePerSecond, !Vault.reencryptionRates.contains(ratePerSecond) {
            throw VaultError.invalidValue("the rate must be between 0.001 and 1000000000 secret versions per second")
        }
        let workspaces: [String]
        if let workspace {
            try Self.validateWorkspace(workspace)
            guard try await store.workspace(workspace) != nil else { throw VaultError.workspaceNotFound(workspace) }
            workspaces = [workspace]
        } else {
            workspaces = try await store.listWorkspaces().map(\.id)
        }

        // The plan: per workspace, the data-key versions to move away from, and the total.
        var plan: [(workspace: String, versions: Set<UInt32>)] = []
        var total = 0
        for ws in workspaces {
            guard let record = try await store.workspace(ws) else { continue }
            // Counts per version only (not dataKeyUsage's live/deleted split): SQLite answers
            // this from an index, without visiting every row.
            let counts = try await store.secretVersionCounts(workspace: ws)
            var versions = onlyDataKeyVersions ?? Set(counts.keys)
            versions.remove(record.primaryDataKeyVersion)
            guard !versions.isEmpty else { continue }
            total += versions.reduce(0) { $0 + (counts[$1] ?? 0) }
            plan.append((ws, versions))
        }

        let clock = ContinuousClock()
        let start = clock.now
        var report = ReencryptionProgress(
            workspace: nil, processed: 0, total: total, reencrypted: 0, skipped: 0, batches: 0,
            ratePerSecond: 0, etaSeconds: nil, finished: false)
        func update() {
            let elapsed = (clock.now - start).timeInterval
            report.ratePerSecond = elapsed > 0 ? Double(report.processed) / elapsed : 0
            let left = max(0, report.total - report.processed)
            report.etaSeconds = report.finished ? 0 : (report.ratePerSecond > 0 ? Double(left) / report.ratePerSecond : nil)
        }

        var stopped = false
        passes: for (ws, versions) in plan {
            var cursor: SecretVersionCursor?
            while true {
                try Task.checkCancellation()
                // A stop (graceful shutdown) ends the pass between batches, never inside one.
                if control?.shouldStop() == true {
                    stopped = true
                    break passes
                }
                // One batch in memory at a time.
                let rows = try await store.secretVersions(workspace: ws, sealedUnder: versions, after: cursor, limit: batchSize)
                guard let last = rows.last else { break }
                cursor = SecretVersionCursor(name: last.info.name, version: last.info.version)
                let applied = try await reencryptBatch(rows, workspace: ws, store: store, control: control)
                report.workspace = ws
                report.processed += rows.count
                report.reencrypted += applied
                report.skipped += rows.count - applied
                report.batches += 1
                metrics.reencrypted.increment(by: applied)
                metrics.reencryptSkipped.increment(by: rows.count - applied)
                metrics.reencryptBatches.increment()
                metrics.reencryptRemaining.set(max(0, report.total - report.processed))
                update()
                progress?(report)
                if let ratePerSecond {
                    let due = Double(report.processed) / ratePerSecond
                    // Sleeps of at most an hour each: a Duration is never built from an
                    // arbitrarily large Double.
                    var wait = due - (clock.now - start).timeInterval
                    while wait > 0, control?.shouldStop() != true {
                        if let control {
                            try await control.pause(.seconds(min(wait, 3_600)))
                        } else {
                            try await Task.sleep(for: .seconds(min(wait, 3_600)))
                        }
                        wait = due - (clock.now - start).timeInterval
                    }
                }
            }
        }
        report.finished = !stopped
        if report.finished { metrics.reencryptRemaining.set(0) }
        update()
        progress?(report)
        logger.info(stopped ? "re-encryption stopped between batches" : "re-encryption finished", metadata: [
            "workspaces": "\(plan.count)", "reencrypted": "\(report.reencrypted)", "skipped": "\(report.skipped)",
        ])
        return report
    }

    /// Opens each row with its own data key and re-seals it under the primary with the same
    /// context (workspace, name, version), then writes the batch in one transaction,
    /// conditional on each row still being sealed under its old version. Rotates and retries
    /// when the primary reaches its encryption limit. Returns how many rows were replaced.
    private func reencryptBatch(
        _ rows: [StoredSecretVersion], workspace: String, store: any RotatingSecretStore, control: ReencryptionControl?
    ) async throws -> Int {
        var attempt = 0
        while true {
            attempt += 1
            guard let record = try await store.workspace(workspace) else { throw VaultError.workspaceNotFound(workspace) }
            let primary = record.primaryDataKeyVersion
            let limit = configuration.rotationPolicy.overridden(by: record.rotationPolicy).maxEncryptionsPerDataKey
            let newKey = try await dataKey(workspace: workspace, version: primary)
            var replacements: [CiphertextReplacement] = []
            replacements.reserveCapacity(rows.count)
            for row in rows where row.info.dataKeyVersion != primary {
                replacements.append(try await reseal(row, workspace: workspace, under: newKey, version: primary))
            }
            guard !replacements.isEmpty else { return 0 }
            await control?.batchWillCommit?(replacements.count)
            do {
                return try await store.replaceCiphertexts(workspace: workspace, replacements, encryptionLimit: limit)
            } catch VaultError.dataKeyExhausted(let ws, let version) where ws == workspace && attempt < 8 {
                try await rotatePrimary(workspace: workspace, expectedPrimary: version, reason: "max encryptions")
            }
        }
    }

    private func reseal(_ row: StoredSecretVersion, workspace: String, under key: EnvelopeKey, version: UInt32) async throws -> CiphertextReplacement {
        let info = row.info
        // Built only on failure: this runs once per re-encrypted row.
        func failed() -> VaultError {
            logger.warning("secret version failed authentication during re-encryption", metadata: [
                "workspace": "\(workspace)", "name": "\(info.name)", "version": "\(info.version)", "dek_version": "\(info.dataKeyVersion)",
            ])
            return VaultError.authenticationFailed
        }
        guard info.workspace == workspace,
              let header = try? CiphertextHeader(parsing: row.ciphertext), header.keyID == info.dataKeyVersion
        else { throw failed() }
        let oldKey = try await dataKey(workspace: workspace, version: info.dataKeyVersion)
        let context = EnvelopeContext.secret(workspace: workspace, name: info.name, version: info.version)
        let value: SecretBytes
        do {
            value = try oldKey.open(row.ciphertext, context: context)
        } catch {
            throw failed()
        }
        let sealed = try await Self.mappingCrypto { try key.seal(value, context: context) }
        return CiphertextReplacement(
            name: info.name, version: info.version, expectedDataKeyVersion: info.dataKeyVersion,
            newDataKeyVersion: version, ciphertext: sealed)
    }
}
