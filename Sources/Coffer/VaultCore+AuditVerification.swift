import CofferCrypto
import Foundation
import Logging

/// Verifying and trimming the audit chain.
extension VaultCore {
    /// See ``Vault/verifyAudit()``.
    func verifyAudit(pageSize: Int = 2000) async throws -> AuditVerification {
        let store = try lifecycleStore()
        guard let keyring = auditKeyring else { throw VaultError.storeUnavailable("this store keeps no audit log") }
        try await audit?.flush()
        let checkpoint = try await store.auditCheckpoint()
        let head = try await store.auditHead()
        var checked = 0
        var first: UInt64?
        var last: UInt64?
        func result(_ broken: AuditVerification.Break?) -> AuditVerification {
            AuditVerification(
                recordsChecked: checked, firstSequence: first, lastSequence: last, head: head, checkpoint: checkpoint, firstBroken: broken)
        }
        func key(_ version: UInt32) async throws -> KeyedHash? { try await keyring.key(version: version, store) }

        var previous = AuditChainHead.genesis.mac
        var expected: UInt64 = 1
        if let checkpoint {
            let message = AuditChain.checkpointMessage(sequence: checkpoint.sequence, mac: checkpoint.mac, createdAt: checkpoint.createdAt)
            guard let k = try await key(checkpoint.keyVersion), try k.verify(checkpoint.seal, for: message) else {
                return result(.init(sequence: 0, reason: "the retention checkpoint (after record \(checkpoint.sequence)) does not verify: it was altered or forged"))
            }
            previous = checkpoint.mac
            expected = checkpoint.sequence + 1
        }
        var after = expected - 1
        while true {
            let page = try await store.auditRecords(AuditQuery(afterSequence: after, limit: pageSize))
            if page.isEmpty { break }
            for record in page {
                if record.sequence != expected {
                    return result(.init(
                        sequence: expected,
                        reason: "record \(expected) is missing (the next record is \(record.sequence)): records were deleted or renumbered"))
                }
                guard let k = try await key(record.keyVersion) else {
                    return result(.init(sequence: record.sequence, reason: "record \(record.sequence) names audit key version \(record.keyVersion), which does not exist"))
                }
                let message = AuditChain.recordMessage(record.event, sequence: record.sequence, keyVersion: record.keyVersion, previousMAC: previous)
                guard try k.verify(record.mac, for: message) else {
                    return result(.init(
                        sequence: record.sequence,
                        reason: "record \(record.sequence) does not verify: it, or the record before it, was edited, inserted or moved"))
                }
                previous = record.mac
                if first == nil { first = record.sequence }
                last = record.sequence
                checked += 1
                expected += 1
            }
            after = page[page.count - 1].sequence
        }
        // The head must be sealed and name the last record: a cut-off tail shows here.
        if head.sequence > 0 || checked > 0 {
            guard let k = try await key(head.keyVersion),
                  try k.verify(head.seal, for: AuditChain.headMessage(sequence: head.sequence, mac: head.mac))
            else {
                return result(.init(sequence: 0, reason: "the chain head does not verify: it was altered"))
            }
            let lastKept = expected - 1
            if head.sequence > lastKept {
                return result(.init(
                    sequence: lastKept + 1,
                    reason: "records \(lastKept + 1)…\(head.sequence) are missing: the log was truncated (the head says \(head.sequence))"))
            }
            if head.sequence < lastKept || !KeyedHash.constantTimeEqual(head.mac, previous) {
                return result(.init(sequence: head.sequence + 1, reason: "the chain head (record \(head.sequence)) does not match the last record \(lastKept)"))
            }
        }
        return result(nil)
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
