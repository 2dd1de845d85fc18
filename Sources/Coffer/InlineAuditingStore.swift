/// A store that can write a put and its audit record in one transaction (`SQLiteStore`: its
/// writer lock serialises every write anyway). The vault then records a successful put
/// atomically with it, at the cost of one more row in the put's own commit instead of a second
/// transaction. `PostgresStore` does not conform: there the store-wide chain head would be
/// locked for the whole put, serialising every put of the fleet; its puts use group commit.
public protocol InlineAuditingStore: LifecycleSecretStore {
    /// ``SecretStore/putSecretVersion(_:seal:)``, and in the same transaction, after the
    /// version is inserted: reads and locks the audit chain head, calls `audit` with the new
    /// version's info and the head (it returns exactly one record numbered `head.sequence + 1`
    /// and the new head), writes them. If anything throws, nothing is written.
    func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8],
        audit: @Sendable (_ info: SecretVersionInfo, _ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> SecretVersionInfo
}
