/// How the vault writes its audit log (see ``Vault`` and docs/ARCHITECTURE.md, "Audit").
///
/// Every operation is recorded, success or failure. Writes (put, delete, shred, rotate, …) and
/// every failure wait until their record is committed before returning ("synchronous"): a put
/// on a store that conforms to ``InlineAuditingStore`` (SQLite always; PostgreSQL when no other
/// writer holds the audit head) writes its record in its own transaction; everything else is
/// committed by the audit writer, concurrent callers sharing one store transaction (group
/// commit). Successful reads (get,
/// list, history) are by default *buffered*: the record is queued in memory and committed
/// within ``flushInterval`` or when ``maxBufferedRecords`` are waiting, so a cached get never
/// waits for the store. Buffered records still queued when the process dies are lost; call
/// ``Vault/flushAudit()`` before exiting, or set ``reads`` to ``ReadAuditing/synchronous``.
public struct AuditConfiguration: Sendable {
    /// How successful reads are audited.
    public enum ReadAuditing: String, Sendable, CaseIterable {
        /// Recorded; the caller waits for the commit (a store write on every get).
        case synchronous
        /// Recorded; queued in memory and committed in the background (default).
        case buffered
        /// Not recorded (failed reads still are).
        case off
    }

    /// Whether anything is audited. Default true.
    public var enabled: Bool = true
    /// How successful reads are audited. Default ``ReadAuditing/buffered``.
    public var reads: ReadAuditing = .buffered
    /// Longest time a buffered record waits before it is committed. Default 200 ms.
    public var flushInterval: Duration = .milliseconds(200)
    /// Buffered records that trigger an immediate commit. Default 512.
    public var maxBufferedRecords: Int = 512
    /// How long audit records are kept before ``Vault/purge(batchSize:)`` removes them behind a
    /// sealed checkpoint. Default 365 days.
    public var retention: Duration = .seconds(365 * 86_400)

    /// The defaults described on each property.
    public init() {}
}
