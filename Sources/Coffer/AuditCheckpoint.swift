public import Foundation

/// Where verification starts after old records were purged by retention: the sequence and
/// MAC of the last purged record, sealed with the audit key so it cannot be forged.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    /// Sequence of the last purged record; the first kept record is `sequence + 1`.
    public var sequence: UInt64
    /// MAC of that record.
    public var mac: [UInt8]
    /// When the purge that wrote this checkpoint ran.
    public var createdAt: Date
    /// `createdAt` as the microseconds since the Unix epoch that the seal covers.
    public var createdAtMicros: Int64 { AuditChain.micros(createdAt) }
    /// Audit-key version of `seal`.
    public var keyVersion: UInt32
    /// MAC over (sequence, mac, createdAt) under audit key `keyVersion`.
    public var seal: [UInt8]

    /// Makes a checkpoint. Only a retention purge computes these (the seal needs the audit key);
    /// stores build them from their checkpoint row.
    public init(sequence: UInt64, mac: [UInt8], createdAt: Date, keyVersion: UInt32, seal: [UInt8]) {
        self.sequence = sequence
        self.mac = mac
        self.createdAt = createdAt
        self.keyVersion = keyVersion
        self.seal = seal
    }
}
