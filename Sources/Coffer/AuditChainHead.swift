/// The end of the audit chain as the store records it, updated in the same transaction as
/// every append. `seal` is a MAC over (sequence, mac) under the audit key, so the head cannot
/// be moved back to an arbitrary record without the key.
public struct AuditChainHead: Sendable, Hashable, Codable {
    /// Sequence of the last record ever appended (0: none yet).
    public var sequence: UInt64
    /// MAC of that record (32 zero bytes when none).
    public var mac: [UInt8]
    /// Audit-key version of `seal` (0 when none yet).
    public var keyVersion: UInt32
    /// MAC over (sequence, mac) under audit key `keyVersion` (empty when none yet).
    public var seal: [UInt8]

    /// Makes a head. Only the audit chain computes these (the seal needs the audit key); stores
    /// build them from their head row.
    public init(sequence: UInt64, mac: [UInt8], keyVersion: UInt32, seal: [UInt8]) {
        self.sequence = sequence
        self.mac = mac
        self.keyVersion = keyVersion
        self.seal = seal
    }

    /// The head of an empty chain.
    public static let genesis = AuditChainHead(sequence: 0, mac: [UInt8](repeating: 0, count: 32), keyVersion: 0, seal: [])
}
