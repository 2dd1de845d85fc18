/// The audit state at the start of one consistent read
/// (``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``): everything except
/// the records, which follow in pages from the same snapshot.
public struct AuditSnapshot: Sendable, Hashable {
    /// The stored chain head; nil when the store has no head row.
    public var head: AuditChainHead?
    /// The retention checkpoint, if any.
    public var checkpoint: AuditCheckpoint?
    /// Every audit-key version, ascending.
    public var keys: [AuditKeyRecord]

    public init(head: AuditChainHead?, checkpoint: AuditCheckpoint?, keys: [AuditKeyRecord]) {
        self.head = head
        self.checkpoint = checkpoint
        self.keys = keys
    }
}
