public import Foundation

/// Which audit records to read: strictly after `afterSequence`, optionally only those of one
/// workspace and at or after a time, in sequence order, at most `limit`.
public struct AuditQuery: Sendable, Hashable {
    public var afterSequence: UInt64
    public var workspace: String?
    public var since: Date?
    public var limit: Int

    public init(afterSequence: UInt64 = 0, workspace: String? = nil, since: Date? = nil, limit: Int = 1000) {
        self.afterSequence = afterSequence
        self.workspace = workspace
        self.since = since
        self.limit = limit
    }
}
