import Coffer
import CofferCrypto
import Foundation

/// `coffer audit verify --json`: ``AuditVerification`` with every MAC and seal as lowercase
/// hex and every time as integer microseconds since the Unix epoch, the exact values that go
/// into the MAC messages (docs/FORMAT.md, "Audit chain"), so the head and the checkpoint can be
/// re-checked from this output and the audit key alone.
struct AuditVerifyReport: Encodable {
    struct Head: Encodable {
        var sequence: UInt64
        var mac: String
        var keyVersion: UInt32
        var seal: String
    }

    struct Checkpoint: Encodable {
        var sequence: UInt64
        var mac: String
        var createdAtMicros: Int64
        var createdAt: String
        var keyVersion: UInt32
        var seal: String
    }

    var intact: Bool
    var recordsChecked: Int
    var firstSequence: UInt64?
    var lastSequence: UInt64?
    var head: Head
    var checkpoint: Checkpoint?
    var firstBroken: AuditVerification.Break?

    init(_ v: AuditVerification) {
        intact = v.intact
        recordsChecked = v.recordsChecked
        firstSequence = v.firstSequence
        lastSequence = v.lastSequence
        head = Head(sequence: v.head.sequence, mac: Hex.string(v.head.mac), keyVersion: v.head.keyVersion, seal: Hex.string(v.head.seal))
        checkpoint = v.checkpoint.map { cp in
            Checkpoint(
                sequence: cp.sequence, mac: Hex.string(cp.mac), createdAtMicros: cp.createdAtMicros,
                createdAt: Format.date(cp.createdAt), keyVersion: cp.keyVersion, seal: Hex.string(cp.seal))
        }
        firstBroken = v.firstBroken
    }
}
