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

    /// Makes a snapshot; stores build it inside the read transaction.
    public init(head: AuditChainHead?, checkpoint: AuditCheckpoint?, keys: [AuditKeyRecord]) {
        self.head = head
        self.checkpoint = checkpoint
        self.keys = keys
    }
}

extension AuditSnapshot {
    /// Decodes `rows` in order and hands them to `records` as one page: the shared page step of
    /// every store's ``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)``.
    /// When a row does not decode, the records before it are handed over first and its error
    /// is rethrown, so the verifier names the first broken record.
    /// - Returns: whether to read on, and the last sequence handed over.
    public static func deliver<Row>(
        _ rows: [Row], decode: (Row) throws -> AuditRecord, to records: ([AuditRecord]) throws -> Bool
    ) throws -> (more: Bool, last: UInt64?) {
        var page: [AuditRecord] = []
        page.reserveCapacity(rows.count)
        for row in rows {
            do {
                page.append(try decode(row))
            } catch {
                if !page.isEmpty { _ = try records(page) }
                throw error
            }
        }
        guard let last = page.last?.sequence else { return (false, nil) }
        return (try records(page), last)
    }
}
