/// A store that can write a put and its audit record in one transaction. The vault then
/// records a successful put atomically with it, at the cost of one more row in the put's own
/// commit instead of a second transaction.
///
/// - `SQLiteStore` always does: its writer lock serialises every write anyway.
/// - `PostgresStore` does when it can without waiting: the store-wide chain head is one row,
///   and holding its lock for every put would serialise every put of a fleet. It chains the
///   record after the head it last wrote and writes both only if the head row is still that
///   one and not locked by another writer; otherwise it writes the put alone and answers
///   ``InlineAuditedPut/audited`` false, and the vault records the put through its audit log
///   (group commit), as for any other store.
public protocol InlineAuditingStore: LifecycleSecretStore {
    /// ``SecretStore/putSecretVersion(_:seal:)``, and in the same transaction, after the
    /// version is inserted, the put's audit record: `audit` gets the new version's info and
    /// the head to chain after and returns exactly one record numbered `head.sequence + 1` and
    /// the new head. Like `seal`, `audit` may run before the store's checks and more than once
    /// (only the last result is written) and must not have side effects. If anything throws,
    /// nothing is written.
    /// - Returns: the version's info, and whether its record was written with it (false: the
    ///   put is committed without it and the caller must record it).
    func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8],
        audit: @Sendable (_ info: SecretVersionInfo, _ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> InlineAuditedPut
}
