public import CofferCrypto
public import Foundation

/// A version of the audit MAC key, wrapped under the KEK like a data key (binding: the empty
/// workspace string, which no workspace can have, and `version`).
public struct AuditKeyRecord: Sendable, Hashable {
    public var version: UInt32
    public var wrapped: WrappedDataKey
    public var createdAt: Date

    public init(version: UInt32, wrapped: WrappedDataKey, createdAt: Date) {
        self.version = version
        self.wrapped = wrapped
        self.createdAt = createdAt
    }
}
