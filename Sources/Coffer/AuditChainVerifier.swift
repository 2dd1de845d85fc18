import CofferCrypto
import Foundation

/// Checks one consistent snapshot of the audit log (``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``):
/// the checkpoint's seal, every record's MAC over its predecessor and its sequence, then the
/// sealed head against the last record, and that a log which looks never written really was
/// never written (see ``finish()``). Synchronous: the keys it needs are unwrapped beforehand.
struct AuditChainVerifier {
    /// The unwrapped audit key of a version, nil when this vault has not unwrapped it.
    private let key: (UInt32) -> KeyedHash?

    private var snapshot = AuditSnapshot(head: nil, checkpoint: nil, keys: [])
    private var previous = AuditChainHead.genesis.mac
    private var expected: UInt64 = 1
    private var checked = 0
    private var first: UInt64?
    private var last: UInt64?
    private var broken: AuditVerification.Break?

    init(key: @escaping (UInt32) -> KeyedHash?) {
        self.key = key
    }

    /// Starts over with `snapshot`. - Returns: whether to go on reading records.
    mutating func start(_ snapshot: AuditSnapshot) throws -> Bool {
        self = AuditChainVerifier(key: key)
        self.snapshot = snapshot
        if let checkpoint = snapshot.checkpoint {
            let message = AuditChain.checkpointMessage(sequence: checkpoint.sequence, mac: checkpoint.mac, createdAt: checkpoint.createdAt)
            guard let k = key(checkpoint.keyVersion), try k.verify(checkpoint.seal, for: message) else {
                broken = .init(sequence: 0, reason: "the retention checkpoint (after record \(checkpoint.sequence)) does not verify: it was altered or forged")
                return false
            }
            previous = checkpoint.mac
            expected = checkpoint.sequence + 1
        }
        return true
    }

    /// Checks the next records. - Returns: whether to go on reading.
    mutating func check(_ page: [AuditRecord]) throws -> Bool {
        for record in page {
            if broken != nil { return false }
            if record.sequence != expected {
                broken = .init(
                    sequence: expected,
                    reason: "record \(expected) is missing (the next record is \(record.sequence)): records were deleted or renumbered")
                return false
            }
            guard let k = key(record.keyVersion) else {
                broken = .init(sequence: record.sequence, reason: "record \(record.sequence) names audit key version \(record.keyVersion), which does not exist")
                return false
            }
            let message = AuditChain.recordMessage(record.event, sequence: record.sequence, keyVersion: record.keyVersion, previousMAC: previous)
            guard try k.verify(record.mac, for: message) else {
                broken = .init(
                    sequence: record.sequence,
                    reason: "record \(record.sequence) does not verify: it, or the record before it, was edited, inserted or moved")
                return false
            }
            previous = record.mac
            if first == nil { first = record.sequence }
            last = record.sequence
            checked += 1
            expected += 1
        }
        return true
    }

    /// A row of the snapshot did not decode: tampering at that row (unless an earlier break was found).
    mutating func damaged(_ damage: AuditRowDamage) {
        if broken != nil { return }
        let sequence: UInt64
        switch damage.row {
        case .record(let s?): sequence = s
        case .record(nil): sequence = expected
        case .head, .checkpoint, .key: sequence = 0
        }
        broken = .init(sequence: sequence, reason: "\(damage.description): it was altered")
    }

    /// The result once every record was read.
    ///
    /// Evidence that records existed, which an emptied log must match: a retention checkpoint
    /// (records through its sequence existed) and an audit key (one is created only to MAC the
    /// first record, and never deleted). Workspaces and secrets are no evidence: a vault may run
    /// with auditing off.
    mutating func finish() throws -> AuditVerification {
        let head = snapshot.head ?? .genesis
        if broken == nil {
            let lastKept = expected - 1
            if head.sequence == 0 && checked == 0 {
                if let checkpoint = snapshot.checkpoint {
                    broken = .init(
                        sequence: checkpoint.sequence + 1,
                        reason: "the retention checkpoint shows that records through \(checkpoint.sequence) existed, but no record after it and no chain head remain: the log was emptied")
                } else if let key = snapshot.keys.first {
                    broken = .init(
                        sequence: 1,
                        reason: "the log and its head are empty, but audit key version \(key.version) exists, and an audit key is only created to write a record: the log was emptied")
                }
            } else if snapshot.head == nil {
                broken = .init(sequence: 0, reason: "the chain head is missing: it was deleted")
            } else if let k = key(head.keyVersion),
                      try k.verify(head.seal, for: AuditChain.headMessage(sequence: head.sequence, mac: head.mac)) {
                if head.sequence > lastKept {
                    broken = .init(
                        sequence: lastKept + 1,
                        reason: "records \(lastKept + 1)…\(head.sequence) are missing: the log was truncated (the head says \(head.sequence))")
                } else if head.sequence < lastKept || !KeyedHash.constantTimeEqual(head.mac, previous) {
                    broken = .init(sequence: head.sequence + 1, reason: "the chain head (record \(head.sequence)) does not match the last record \(lastKept)")
                }
            } else {
                broken = .init(sequence: 0, reason: "the chain head does not verify: it was altered")
            }
        }
        return AuditVerification(
            recordsChecked: checked, firstSequence: first, lastSequence: last, head: head, checkpoint: snapshot.checkpoint,
            firstBroken: broken)
    }
}
