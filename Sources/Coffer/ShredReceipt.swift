public import Foundation

/// Proof that a workspace was crypto-shredded, to hand to the customer whose data it held.
/// Holds no key or value. Encodes as JSON with ISO 8601 dates (``jsonData()``).
public struct ShredReceipt: Sendable, Hashable, Codable {
    /// Always `coffer-shred-receipt/v1`.
    public var format: String = "coffer-shred-receipt/v1"
    /// Id of the shredded workspace. The id stays reserved: it cannot be created again.
    public var workspace: String
    /// When the data keys were destroyed.
    public var shreddedAt: Date
    /// When the workspace was soft-deleted (equal to `shreddedAt` for an immediate shred).
    public var deletedAt: Date?
    /// Data-key versions whose wrapped keys were destroyed.
    public var dataKeyVersionsDestroyed: [UInt32]
    /// Secret versions (live and soft-deleted) that can never be opened again.
    public var secretVersionsUnreadable: Int
    /// The KEKs that had wrapped the destroyed data keys. Database backups taken before the
    /// shred still hold the wrapped keys together with the workspace's old key generation:
    /// they become unreadable once these KEKs are rotated away (`coffer rotate-kek`) and
    /// destroyed, which the backup retention period bounds.
    public var kekIDs: [String]
    /// The audit record of the shred and the chain head after it (hex MAC), so the receipt can
    /// be checked against `coffer audit verify` later. Nil when auditing is off, or when the
    /// shred's audit record could not be written (the shred is done; the receipt is never lost).
    public var auditSequence: UInt64?
    /// The MAC of the audit chain head right after the shred's record, 64 lowercase hex digits
    /// (compare with the head `coffer audit verify` prints). Nil in the same cases as
    /// ``auditSequence``.
    public var auditChainHead: String?

    /// Makes a receipt. ``Vault`` builds these when it shreds; dates are kept at the store's
    /// microsecond precision.
    public init(
        workspace: String, shreddedAt: Date, deletedAt: Date?, dataKeyVersionsDestroyed: [UInt32],
        secretVersionsUnreadable: Int, kekIDs: [String], auditSequence: UInt64?, auditChainHead: String?
    ) {
        self.workspace = workspace
        self.shreddedAt = shreddedAt
        self.deletedAt = deletedAt
        self.dataKeyVersionsDestroyed = dataKeyVersionsDestroyed
        self.secretVersionsUnreadable = secretVersionsUnreadable
        self.kekIDs = kekIDs
        self.auditSequence = auditSequence
        self.auditChainHead = auditChainHead
    }

    /// Pretty-printed JSON with sorted keys and ISO 8601 dates.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
