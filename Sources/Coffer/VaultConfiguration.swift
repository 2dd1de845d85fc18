public import CoreMetrics
public import Foundation
public import Tracing

/// Limits and knobs of a ``Vault``. Every field has a safe default; change what you need:
///
/// ```swift
/// var configuration = VaultConfiguration()
/// configuration.maxVersionsPerSecret = 5
/// let vault = Vault(store: store, kek: kek, configuration: configuration, logger: logger)
/// ```
public struct VaultConfiguration: Sendable {
    /// How many versions of a secret are kept (live and soft-deleted). Writing a version beyond
    /// this removes the oldest ones in the same transaction; version numbers are never reused.
    /// Default 10; values below 1 are treated as 1.
    public var maxVersionsPerSecret: Int = 10

    /// Largest plaintext value accepted by a put, in bytes. Default 1 MiB (1 048 576 bytes).
    /// A larger value is rejected with ``VaultError/valueTooLarge(limit:)`` and nothing is
    /// stored. It can be raised up to `EnvelopeKey/maxPlaintextBytes` (1 GiB).
    public var maxValueBytes: Int = 1 << 20

    /// How long an unwrapped data key (and a workspace's primary data-key version) stays in
    /// the in-memory cache before the KEK is asked again. Default 300 seconds.
    public var dataKeyCacheMaxAge: Duration = .seconds(300)

    /// How many operations one unwrapped data key may serve before it is unwrapped again.
    /// Default 1 000 000.
    public var dataKeyCacheMaxUses: Int = 1_000_000

    /// How many unwrapped data keys are cached at most (least recently used evicted first).
    /// Each one holds locked, guard-paged memory, i.e. several kernel memory mappings, so this
    /// bound keeps a process that serves many workspaces clear of the mapping limit
    /// (`vm.max_map_count`, 65 530 by default). Default 1024.
    public var dataKeyCacheMaxEntries: Int = 1024

    /// The clock: creation, deletion and cache-age times come from here. Inject a fixed or
    /// stepping clock in tests.
    public var now: @Sendable () -> Date = { Date() }

    /// When data keys are rotated automatically before a write: at most
    /// ``RotationPolicy/maxEncryptionsPerDataKey`` values per data key (default 2^30, see
    /// ``RotationPolicy/defaultMaxEncryptionsPerDataKey`` for the AES-GCM nonce math) and,
    /// if set, at most ``RotationPolicy/maxDataKeyAgeSeconds`` of age (default: no age limit).
    /// A workspace can override either field (``Vault/setRotationPolicy(workspace:_:)``).
    /// Rotation needs a store that conforms to ``RotatingSecretStore``; with another store
    /// the count limit still refuses writes past it.
    public var rotationPolicy: RotationPolicy = .standard

    /// How long soft-deleted secret versions and soft-deleted workspaces are kept, restorable,
    /// before ``Vault/purge(batchSize:)`` removes them for good (versions) or crypto-shreds them
    /// (workspaces). Default 30 days.
    public var deletionGracePeriod: Duration = .seconds(30 * 86_400)

    /// The audit log: on by default (with a store that conforms to ``LifecycleSecretStore``).
    public var audit: AuditConfiguration = .init()

    /// The actor recorded in audit records when the caller names none (see
    /// ``Vault/acting(as:)`` and ``Vault/workspace(_:actor:)``). Default `unspecified`.
    public var defaultActor: String = "unspecified"

    /// Where the vault's metrics go (names and dimensions: docs/OBSERVABILITY.md). nil
    /// (default): the global `MetricsSystem.factory` as it is when the vault is created — the
    /// no-op factory unless the application bootstrapped one first. The instruments are
    /// created once, when the vault is created.
    public var metricsFactory: (any MetricsFactory)?

    /// Whether the per-operation metrics (`coffer_secret_operations_total`,
    /// `coffer_secret_operation_duration_seconds`) carry a `workspace` dimension. Default false:
    /// workspace ids can be customer names, and each one adds a time series. Secret names and
    /// values are never a dimension.
    public var metricsIncludeWorkspace: Bool = false

    /// Where the vault's spans go (docs/OBSERVABILITY.md). nil (default): the tracer of
    /// `InstrumentationSystem` as it is when the vault is created (no spans unless the
    /// application bootstrapped one, or created the vault inside `withTracer`).
    public var tracer: (any Tracer)?

    /// How many encryptions a put counts at once in its data key's row when this vault writes
    /// to that key repeatedly (issue 14: leases). The first put to a data key in a process
    /// counts one; later ones count a block of this size (at most 1/16 of the key's encryption
    /// limit) and the vault hands the rest out in memory, so concurrent puts stop queueing on
    /// one counter row. The encryption limit stays exact across processes; encryptions leased
    /// and not used are returned by ``Vault/releaseEncryptionLeases()`` (`VaultService` calls
    /// it at shutdown) or, if the process dies, stay counted, which only makes rotation come
    /// earlier. Default 64; 1 turns leasing off; values outside 1...65536 are clamped to it.
    public var encryptionLeaseSize: Int = 64

    /// The defaults described on each property.
    public init() {}
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) * 1e-18
    }
}
