public import CofferCrypto
public import Foundation

/// The part of the store contract behind retention, workspace deletion and crypto-shredding,
/// the audit log, and all-or-nothing imports. `SQLiteStore` and `PostgresStore` implement it;
/// `CofferStoreConformance`'s `lifecycleChecks` hold the behaviour.
///
/// ## Deleted and shredded workspaces
/// While a workspace is soft-deleted (``WorkspaceRecord/deletedAt`` non-nil) or shredded
/// (``WorkspaceRecord/shreddedAt`` non-nil), every ``SecretStore`` and
/// ``RotatingSecretStore`` method that reads its secrets (`secretVersion`, `listSecrets`,
/// `history`, `secretVersions(workspace:sealedUnder:…)`) answers as if it had none (nil or
/// empty), and every method that writes them (`putSecretVersion`, `putSecretVersions`,
/// `setDeleted`, `replaceCiphertexts`, `rotateDataKey`, `setMinimumDecryptionVersion`,
/// `destroyDataKey`, `setRotationPolicy`) throws ``VaultError/workspaceDeleted(_:)`` or
/// ``VaultError/workspaceShredded(_:)`` and changes nothing. `workspace(_:)` and
/// `listWorkspaces()` still return it, with its state. `dataKeys(workspace:)` and
/// `dataKeys(notWrappedBy:limit:)` still return a deleted workspace's keys (KEK rotation must
/// re-wrap them so it can be undeleted); a shredded workspace has none. `createWorkspace` with
/// the id of a deleted or shredded workspace throws ``VaultError/workspaceExists(_:)``.
///
/// Reads of data keys fill ``DataKeyRecord/keyGeneration`` from the workspace row.
///
/// ## Audit
/// The audit log is store-wide (all workspaces), ordered by a gapless sequence. Appends are
/// serialised by the store (one chain): ``appendAudit(count:chain:)`` reads the head, calls
/// `chain`, writes the records and the new head in one transaction.
public protocol LifecycleSecretStore: RotatingSecretStore {
    // MARK: Workspaces

    /// Soft-deletes the workspace (`deletedAt` non-nil) or undeletes it (`deletedAt` nil).
    /// - Returns: false, changing nothing, when it already was in that state.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/workspaceShredded(_:)``.
    func setWorkspaceDeleted(_ id: String, at deletedAt: Date?) async throws -> Bool

    /// Crypto-shreds the workspace in one transaction: deletes every data key, secret version
    /// and secret row of it, and leaves the workspace row as a tombstone with
    /// `shreddedAt = now`, `deletedAt` = its deletion time (or `now` when it was live) and
    /// `keyGeneration = newKeyGeneration`.
    /// - Returns: what was destroyed; nil, changing nothing, when it was already shredded
    ///   (idempotent, so concurrent purges on several instances are safe).
    /// - Throws: ``VaultError/workspaceNotFound(_:)``.
    func shredWorkspace(_ id: String, now: Date, newKeyGeneration: String) async throws -> WorkspaceShredResult?

    /// Workspaces soft-deleted at or before `cutoff` and not yet shredded, ordered by id.
    func workspacesDeleted(atOrBefore cutoff: Date) async throws -> [WorkspaceRecord]

    // MARK: Retention

    /// Removes for good up to `limit` secret versions (any workspace, deleted workspaces
    /// excluded) that were soft-deleted at or before `cutoff`, in one transaction, ordered by
    /// (workspace, name, version). Secret rows stay (they remember the last version number, so
    /// numbers are never reused). Concurrent calls never remove a row twice.
    /// - Returns: the versions removed (empty when there is nothing left to purge).
    func purgeDeletedSecretVersions(deletedAtOrBefore cutoff: Date, limit: Int) async throws -> [PurgedSecretVersion]

    // MARK: Batch writes

    /// Writes one new version for each request, all in one transaction and all or nothing:
    /// each request follows the rules of ``SecretStore/putSecretVersion(_:seal:)`` (workspace
    /// state, check-and-set, numbering, pruning, encryption count and limit); the first
    /// failure rolls everything back and is rethrown. All requests name the same workspace and
    /// distinct secret names. `seal` gets the request's index and its new version number.
    func putSecretVersions(
        _ requests: [PutSecretRequest], seal: @Sendable (_ index: Int, _ version: UInt32) throws -> [UInt8]
    ) async throws -> [SecretVersionInfo]

    // MARK: Audit keys

    /// Every audit-key version, ascending.
    func auditKeys() async throws -> [AuditKeyRecord]

    /// Inserts an audit-key version.
    /// - Returns: false, changing nothing, when that version already exists (another process
    ///   created it first: read it with ``auditKeys()``).
    func insertAuditKey(_ record: AuditKeyRecord) async throws -> Bool

    /// Replaces the wrapping of audit-key `version` (KEK rotation), only if it is still
    /// wrapped by `expectedKEKID`. Returns whether it applied.
    func rewrapAuditKey(version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) async throws -> Bool

    // MARK: Audit log

    /// Appends `count` records in one transaction: locks and reads the head, calls `chain`
    /// with it (which returns exactly `count` records numbered `head.sequence + 1 …` and the
    /// new head), inserts them and stores the new head. If `chain` throws, nothing is written.
    /// - Returns: the new head.
    func appendAudit(
        count: Int, chain: @Sendable (_ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> AuditChainHead

    /// The current head (``AuditChainHead/genesis`` before the first append).
    func auditHead() async throws -> AuditChainHead

    /// Reads the whole audit log from one consistent snapshot (SQLite: one read transaction;
    /// PostgreSQL: one `REPEATABLE READ READ ONLY` transaction), so that concurrent appends and
    /// purges never show a head that does not match the records: calls `state` once with the
    /// head, checkpoint and audit keys, then `records` with the records after the checkpoint
    /// (all of them, any workspace), ascending, in pages of at most `pageSize`, until a closure
    /// returns false or the records end. On a retried transaction `state` is called again.
    /// - Throws: ``AuditRowDamage`` for a row that does not decode, after `records` got every
    ///   record before it; the store's errors.
    func readAuditSnapshot(
        pageSize: Int, state: (AuditSnapshot) throws -> Bool, records: ([AuditRecord]) throws -> Bool
    ) async throws

    /// The retention checkpoint, or nil when no record was ever purged.
    func auditCheckpoint() async throws -> AuditCheckpoint?

    /// Records matching `query`, ascending by sequence.
    func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord]

    /// Sequence of the last record of the leading run of records whose time is before `cutoff`
    /// (the record just before the first one at or after `cutoff`, or the last record when
    /// there is none), or nil when the first record is not before `cutoff`. A record older than
    /// `cutoff` that follows a newer one (the clock went backwards) waits until the newer one
    /// ages out: retention never purges a record at or after its cutoff.
    func lastAuditSequence(before cutoff: Date) async throws -> UInt64?

    /// Deletes every record with sequence ≤ `checkpoint.sequence` and stores `checkpoint`, in
    /// one transaction, only if `checkpoint.sequence` is above the stored checkpoint's.
    /// - Returns: how many records were deleted (0 when a newer checkpoint already exists).
    func purgeAudit(through checkpoint: AuditCheckpoint) async throws -> Int
}
