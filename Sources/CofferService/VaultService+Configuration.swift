public import Coffer

extension VaultService {
    /// The scheduled jobs a ``VaultService`` runs. Every job is off (nil) by default: a service
    /// with the default configuration only runs the audit writer (and its final flush at
    /// shutdown).
    ///
    /// ```swift
    /// var configuration = VaultService.Configuration()
    /// configuration.purge = .init(interval: .seconds(86_400))
    /// configuration.reencryption = .init(interval: .seconds(3_600), ratePerSecond: 500)
    /// configuration.dataKeyCacheSweepInterval = .seconds(60)
    /// ```
    ///
    /// Each enabled job runs once when the service starts and then every `interval` after the
    /// previous run ended. A job that fails is logged (error kind only, never a value) and
    /// tried again at its next run; it never stops the service.
    public struct Configuration: Sendable {
        /// The retention job (``Vault/purge(batchSize:)``).
        public struct Purge: Sendable {
            /// Time between the end of one purge and the start of the next.
            public var interval: Duration
            /// Secret versions removed per store transaction. Default 500.
            public var batchSize: Int

            /// A purge every `interval`, `batchSize` versions per transaction.
            public init(interval: Duration, batchSize: Int = 500) {
                self.interval = interval
                self.batchSize = batchSize
            }
        }

        /// The re-encryption job
        /// (``Vault/reencrypt(workspace:onlyDataKeyVersions:batchSize:ratePerSecond:progress:)``
        /// over every workspace): moves values sealed under older data keys to the primary.
        /// Graceful shutdown ends a pass between batches — the batch in progress is committed
        /// whole — and the next pass (in this process or another) resumes where it stopped.
        public struct Reencryption: Sendable {
            /// Time between the end of one pass and the start of the next.
            public var interval: Duration
            /// Secret versions handled per second at most (nil: as fast as the store allows).
            public var ratePerSecond: Double?
            /// Secret versions per batch (one store transaction). Default 100.
            public var batchSize: Int
            /// Called after every batch and at the end of each pass (never any value or key).
            public var progress: (@Sendable (ReencryptionProgress) -> Void)?
            /// Test latch: called inside a batch, after its rows are re-sealed and before they
            /// are written.
            package var batchWillCommit: (@Sendable (Int) async -> Void)?

            /// A pass every `interval`, at most `ratePerSecond` secret versions per second,
            /// `batchSize` per transaction.
            public init(
                interval: Duration, ratePerSecond: Double? = nil, batchSize: Int = 100,
                progress: (@Sendable (ReencryptionProgress) -> Void)? = nil
            ) {
                self.interval = interval
                self.ratePerSecond = ratePerSecond
                self.batchSize = batchSize
                self.progress = progress
            }
        }

        /// The retention job; nil (default): off.
        public var purge: Purge?
        /// The re-encryption job; nil (default): off.
        public var reencryption: Reencryption?
        /// How often ``Vault/rotateDueDataKeys()`` rotates the data keys that the rotation
        /// policy says are due (also those of workspaces nobody writes to); nil (default): off.
        public var policyRotationInterval: Duration?
        /// How often the service also commits every buffered audit record, on top of the
        /// commits it runs for the audit writer anyway (after ``AuditConfiguration/flushInterval``,
        /// at ``AuditConfiguration/maxBufferedRecords``, and at shutdown); nil (default): off.
        public var auditFlushInterval: Duration?
        /// How often cached data keys past their age or use limit are dropped
        /// (``Vault/evictExpiredDataKeys()``), releasing their locked memory; nil (default):
        /// they are dropped lazily, at their next lookup or when the cache is full.
        public var dataKeyCacheSweepInterval: Duration?

        /// Every job off.
        public init() {}
    }
}
