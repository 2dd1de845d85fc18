/// The result of ``Vault/verifyAudit()``.
public struct AuditVerification: Sendable, Hashable, Codable {
    /// Where and why the chain is broken.
    public struct Break: Sendable, Hashable, Codable {
        /// The first record that does not verify (for a missing record: its sequence; for a
        /// truncated tail: the first missing sequence; 0: the checkpoint or head itself).
        public var sequence: UInt64
        /// Why, in words (never a value).
        public var reason: String

        /// Makes a break at `sequence` (0: the checkpoint or head) with a value-free reason.
        public init(sequence: UInt64, reason: String) {
            self.sequence = sequence
            self.reason = reason
        }
    }

    /// True when every kept record, the checkpoint and the head verify.
    public var intact: Bool { firstBroken == nil }
    /// Records checked.
    public var recordsChecked: Int
    /// Sequence of the first kept record (checkpoint + 1), nil when there are none.
    public var firstSequence: UInt64?
    /// Sequence of the last kept record, nil when there are none.
    public var lastSequence: UInt64?
    /// The chain head the store reports.
    public var head: AuditChainHead
    /// The retention checkpoint verification started from, if any.
    public var checkpoint: AuditCheckpoint?
    /// The first problem found, or nil.
    public var firstBroken: Break?

    /// Makes a verification result. ``Vault/verifyAudit()`` builds these.
    public init(
        recordsChecked: Int, firstSequence: UInt64?, lastSequence: UInt64?, head: AuditChainHead,
        checkpoint: AuditCheckpoint?, firstBroken: Break?
    ) {
        self.recordsChecked = recordsChecked
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.head = head
        self.checkpoint = checkpoint
        self.firstBroken = firstBroken
    }
}
