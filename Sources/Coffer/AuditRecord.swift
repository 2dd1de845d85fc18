public import Foundation

/// A stored audit record: an ``AuditEvent`` with its place in the chain.
///
/// `mac` is keyed BLAKE2b-256 under audit key `keyVersion` over the previous record's `mac`
/// (32 zero bytes before the first record) and this record's canonical encoding, sequence
/// included (FORMAT.md §10), so editing, deleting, inserting or reordering records breaks the
/// chain at the first record affected.
public struct AuditRecord: Sendable, Hashable, Codable {
    /// 1, 2, 3, … without gaps across the whole store (all workspaces).
    public var sequence: UInt64
    /// What was done, by whom, and how it ended.
    public var event: AuditEvent
    /// The audit-key version that computed `mac`.
    public var keyVersion: UInt32
    /// 32 bytes.
    public var mac: [UInt8]

    /// Makes a record. Only the audit chain computes the MAC; stores build these from their rows.
    public init(sequence: UInt64, event: AuditEvent, keyVersion: UInt32, mac: [UInt8]) {
        self.sequence = sequence
        self.event = event
        self.keyVersion = keyVersion
        self.mac = mac
    }
}
