/// What ``InlineAuditingStore/putSecretVersion(_:seal:audit:)`` wrote.
public struct InlineAuditedPut: Sendable, Equatable {
    /// The new version.
    public var info: SecretVersionInfo
    /// Whether the put's audit record was committed in the put's own transaction. False: the
    /// put is committed without it, and the caller records it.
    public var audited: Bool

    /// A put and whether its audit record was written with it.
    public init(info: SecretVersionInfo, audited: Bool) {
        self.info = info
        self.audited = audited
    }
}
