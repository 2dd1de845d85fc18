import CofferCrypto
import CoreMetrics

/// The vault's swift-metrics instruments (every name and dimension is in docs/OBSERVABILITY.md).
///
/// Created once per vault from ``VaultConfiguration/metricsFactory`` (nil: the global
/// `MetricsSystem.factory`), so no call path creates a metric object — except, when
/// ``VaultConfiguration/metricsIncludeWorkspace`` is on, the first operation of each workspace.
/// With the no-op factory (no bootstrap) ``timed`` is false and no clock is read either.
/// Dimension values come from fixed sets (and the workspace id when opted in): never a secret
/// name, value or key.
final class VaultMetrics: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type
    // (swift-metrics' Counter, Timer and Meter are Sendable; PosixMutex guards a Sendable dictionary).

    /// A secret operation's instruments.
    struct Operation: Sendable {
        let success: Counter
        let failure: Counter
        let duration: CoreMetrics.Timer

        init(_ name: String, workspace: String?, factory: any MetricsFactory) {
            var dimensions = [("operation", name)]
            if let workspace { dimensions.append(("workspace", workspace)) }
            success = Counter(label: "coffer_secret_operations_total", dimensions: dimensions + [("outcome", "success")], factory: factory)
            failure = Counter(label: "coffer_secret_operations_total", dimensions: dimensions + [("outcome", "failure")], factory: factory)
            duration = CoreMetrics.Timer(label: "coffer_secret_operation_duration_seconds", dimensions: dimensions, factory: factory)
        }
    }

    /// The secret operations that are counted and timed.
    enum OperationKind: Sendable { case put, get }

    /// The factory the instruments come from.
    let factory: any MetricsFactory
    /// False with the no-op factory: callers skip reading the clock.
    let timed: Bool
    private let perWorkspace: PosixMutex<[String: (put: Operation, get: Operation)]>?
    private let put: Operation
    private let get: Operation

    let cacheHits: Counter
    let cacheMisses: Counter
    let cacheEvictions: Counter
    let unwraps: Counter
    let unwrapDuration: CoreMetrics.Timer
    let authenticationFailures: Counter
    let conflicts: Counter
    let auditQueueDepth: Meter
    let auditFlushDuration: CoreMetrics.Timer
    let auditCommitted: Counter
    let auditDropped: Counter
    private let rotations: [String: Counter]
    let reencrypted: Counter
    let reencryptSkipped: Counter
    let reencryptBatches: Counter
    let reencryptRemaining: Meter
    let kekRewrapped: Counter
    let kekRotationRemaining: Meter

    /// The rotation reasons the vault uses, as dimension values.
    static let rotationReasons = ["operator", "max-age", "max-encryptions", "revoke", "policy-job", "other"]

    init(factory: any MetricsFactory, includeWorkspace: Bool) {
        self.factory = factory
        timed = !(factory is NOOPMetricsHandler)
        perWorkspace = includeWorkspace ? PosixMutex([:]) : nil
        put = Operation("put", workspace: nil, factory: factory)
        get = Operation("get", workspace: nil, factory: factory)
        cacheHits = Counter(label: "coffer_datakey_cache_hits_total", factory: factory)
        cacheMisses = Counter(label: "coffer_datakey_cache_misses_total", factory: factory)
        cacheEvictions = Counter(label: "coffer_datakey_cache_evictions_total", factory: factory)
        unwraps = Counter(label: "coffer_datakey_unwraps_total", factory: factory)
        unwrapDuration = CoreMetrics.Timer(label: "coffer_datakey_unwrap_duration_seconds", factory: factory)
        authenticationFailures = Counter(label: "coffer_authentication_failures_total", factory: factory)
        conflicts = Counter(label: "coffer_check_and_set_conflicts_total", factory: factory)
        auditQueueDepth = Meter(label: "coffer_audit_queue_depth", factory: factory)
        auditFlushDuration = CoreMetrics.Timer(label: "coffer_audit_flush_duration_seconds", factory: factory)
        auditCommitted = Counter(label: "coffer_audit_records_committed_total", factory: factory)
        auditDropped = Counter(label: "coffer_audit_records_dropped_total", factory: factory)
        rotations = Dictionary(uniqueKeysWithValues: Self.rotationReasons.map { reason in
            (reason, Counter(label: "coffer_datakey_rotations_total", dimensions: [("reason", reason)], factory: factory))
        })
        reencrypted = Counter(label: "coffer_reencrypt_secret_versions_total", dimensions: [("result", "reencrypted")], factory: factory)
        reencryptSkipped = Counter(label: "coffer_reencrypt_secret_versions_total", dimensions: [("result", "skipped")], factory: factory)
        reencryptBatches = Counter(label: "coffer_reencrypt_batches_total", factory: factory)
        reencryptRemaining = Meter(label: "coffer_reencrypt_remaining_secret_versions", factory: factory)
        kekRewrapped = Counter(label: "coffer_kek_rotation_rewrapped_total", factory: factory)
        kekRotationRemaining = Meter(label: "coffer_kek_rotation_remaining_data_keys", factory: factory)
    }

    /// The instruments of `kind` for `workspace` (its own only when the workspace dimension is on).
    func operation(_ kind: OperationKind, workspace: String) -> Operation {
        guard let perWorkspace else { return kind == .put ? put : get }
        let pair = perWorkspace.withLock { cache in
            if let pair = cache[workspace] { return pair }
            let pair = (put: Operation("put", workspace: workspace, factory: factory), get: Operation("get", workspace: workspace, factory: factory))
            cache[workspace] = pair
            return pair
        }
        return kind == .put ? pair.put : pair.get
    }

    /// The rotation counter of `reason` (the vault's reason text, e.g. `max age`).
    func rotation(reason: String) -> Counter {
        rotations[reason.replacingOccurrences(of: " ", with: "-")] ?? rotations["other"]!
    }

    /// Counts a failed operation's error where it is an authentication failure or a conflict.
    func countFailure(_ error: any Error) {
        switch error as? VaultError {
        case .authenticationFailed?, .wrongKEK?, .bundleAuthenticationFailed?: authenticationFailures.increment()
        case .checkAndSetConflict?: conflicts.increment()
        default: break
        }
    }

    /// The start of a counted operation: ``VaultMetrics/Operation/finish(_:succeeded:)`` ends it.
    /// No clock is read with the no-op factory.
    @inline(__always)
    func start() -> ContinuousClock.Instant? {
        timed ? ContinuousClock.now : nil
    }
}

extension VaultMetrics.Operation {
    /// Counts the operation begun at `start` (``VaultMetrics/start()``) as a success or a
    /// failure, and times it when `start` is set.
    @inline(__always)
    func finish(_ start: ContinuousClock.Instant?, succeeded: Bool) {
        if let start { duration.record(since: start) }
        (succeeded ? success : failure).increment()
    }
}

extension CoreMetrics.Timer {
    /// Records the time from `start` until now.
    func record(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
