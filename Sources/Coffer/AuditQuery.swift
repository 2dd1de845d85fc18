public import Foundation

/// Which audit records to read: strictly after `afterSequence`, optionally only those of one
/// workspace and at or after a time, in sequence order, at most `limit`.
public struct AuditQuery: Sendable, Hashable {
    /// Only records with a sequence strictly greater than this; 0 (the default) reads from the
    /// first kept record. To page, pass the last sequence of the previous page.
    public var afterSequence: UInt64
    /// Only records of this workspace id; nil: every workspace and the fleet-wide records.
    public var workspace: String?
    /// Only records whose time is at or after this instant; nil: no time bound.
    public var since: Date?
    /// The most records returned (default 1000); 0 or negative returns none.
    public var limit: Int

    /// Makes a query; the defaults read the first 1000 kept records of every workspace.
    public init(afterSequence: UInt64 = 0, workspace: String? = nil, since: Date? = nil, limit: Int = 1000) {
        self.afterSequence = afterSequence
        self.workspace = workspace
        self.since = since
        self.limit = limit
    }
}
