public import CofferCrypto
public import Foundation

/// A version of the audit MAC key, wrapped under the KEK like a data key (binding: the empty
/// workspace string, which no workspace can have, and `version`).
public struct AuditKeyRecord: Sendable, Hashable {
    /// Audit-key version: 1 for the key created with the first audit record, then increasing.
    /// Records, heads and checkpoints name the version that MACed them.
    public var version: UInt32
    /// The 32-byte audit MAC key wrapped under the KEK (FORMAT.md §10), with the id of that KEK.
    /// KEK rotation re-wraps it; a vault with another KEK cannot unwrap it and so cannot extend or
    /// verify the chain.
    public var wrapped: WrappedDataKey
    /// When this audit-key version was created.
    public var createdAt: Date

    /// Makes an audit-key row.
    public init(version: UInt32, wrapped: WrappedDataKey, createdAt: Date) {
        self.version = version
        self.wrapped = wrapped
        self.createdAt = createdAt
    }
}
