public import Foundation

/// Retention, workspace deletion and crypto-shredding, and the audit log.
///
/// These need a store that conforms to ``LifecycleSecretStore`` (`SQLiteStore` and
/// `PostgresStore` do); with another store they throw ``VaultError/storeUnavailable(_:)``.
/// Every call is recorded in the audit log with this vault's ``actor``.
extension Vault {
    // MARK: Workspaces

    /// Soft-deletes workspace `id`: from now on none of its secrets can be read or written
    /// (``VaultError/workspaceDeleted(_:)``) until ``undeleteWorkspace(_:)`` restores it, which
    /// is possible for ``VaultConfiguration/deletionGracePeriod`` (default 30 days). After that,
    /// ``purge(batchSize:)`` crypto-shreds it.
    /// - Returns: false when it was already deleted.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/workspaceShredded(_:)``.
    @discardableResult
    public func deleteWorkspace(_ id: String) async throws -> Bool {
        try await core.deleteWorkspace(id, actor: actor)
    }

    /// Restores a soft-deleted workspace within the grace period.
    /// - Returns: false when it was not deleted.
    /// - Throws: ``VaultError/invalidValue(_:)`` past the grace period,
    ///   ``VaultError/workspaceShredded(_:)``, ``VaultError/workspaceNotFound(_:)``.
    @discardableResult
    public func undeleteWorkspace(_ id: String) async throws -> Bool {
        try await core.undeleteWorkspace(id, actor: actor)
    }

    /// Crypto-shreds workspace `id` now, live or deleted: in one transaction every wrapped data
    /// key, secret version and secret row of it is deleted and its key generation replaced, so
    /// its ciphertexts can never be opened again — also when data-key and secret rows are put
    /// back from a backup, because they were wrapped bound to the old generation (see
    /// docs/ARCHITECTURE.md, "Crypto-shredding", for full-database backups). The workspace row
    /// stays as a tombstone; its id cannot be reused.
    /// - Returns: the receipt to hand to the customer — also when the shred's audit record
    ///   could not be written afterwards (then without its audit fields, and the failure logged).
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/workspaceShredded(_:)``
    ///   (already shredded), ``VaultError/wrongKEK(configured:stored:)``; nothing is shredded then.
    public func shredWorkspace(_ id: String) async throws -> ShredReceipt {
        try await core.shredWorkspace(id, actor: actor)
    }

    // MARK: Retention

    /// The retention job. Idempotent and safe on every instance at once (each row is removed by
    /// exactly one of them): removes secret versions soft-deleted longer ago than
    /// ``VaultConfiguration/deletionGracePeriod`` (`batchSize` per transaction), crypto-shreds
    /// workspaces deleted longer ago than it, and removes audit records older than
    /// ``AuditConfiguration/retention`` behind a sealed checkpoint (so ``verifyAudit()`` stays
    /// green). Run it daily, e.g. from cron: `coffer purge`.
    public func purge(batchSize: Int = 500) async throws -> PurgeReport {
        try await core.purge(batchSize: batchSize, actor: actor)
    }

    // MARK: Audit

    /// Checks the whole audit chain: from the retention checkpoint (or the first record) every
    /// record's MAC over its predecessor, gapless sequence numbers, and the sealed head (so a
    /// cut-off tail shows). Reports the first broken record. Commits buffered records first.
    public func verifyAudit() async throws -> AuditVerification {
        try await core.verifyAudit()
    }

    /// Audit records, oldest first: after sequence `query.afterSequence`, of one workspace or
    /// all, at or after `query.since`, at most `query.limit`. Commits buffered records first.
    public func auditRecords(_ query: AuditQuery = .init()) async throws -> [AuditRecord] {
        try await core.audit?.flush()
        return try await core.lifecycleStore().auditRecords(query)
    }

    /// Commits every buffered audit record (successful reads are buffered by default, see
    /// ``AuditConfiguration/reads``). Call before the process exits.
    public func flushAudit() async throws {
        try await core.audit?.flush()
    }

    // MARK: Driving the audit writer (CofferService)

    /// Switches the audit log to driven mode and returns its driver (see
    /// ``AuditWriterDriver``): from now on the log starts no `Task` of its own, and the
    /// caller runs the driver's loop. Nil when auditing is off or another driver drives it.
    /// Used by `VaultService.run()`.
    package func driveAuditWriter() -> AuditWriterDriver? {
        core.audit?.drive()
    }

    /// Whether an ``AuditWriterDriver`` drives the audit log now.
    package var isAuditWriterDriven: Bool { core.audit?.isDriven ?? false }

    /// `Task`s the audit log has started itself (test seam: none while driven).
    package var auditTasksStarted: Int { core.audit?.tasksStarted ?? 0 }

    /// Audit records buffered and not yet committed.
    package var bufferedAuditRecords: Int { core.audit?.buffered ?? 0 }
}
