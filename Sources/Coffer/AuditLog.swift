import CofferCrypto
import CoreMetrics
import Foundation
import Logging

/// The vault's audit writer: appends ``AuditEvent``s to the store's chained log with group
/// commit (see ``AuditConfiguration``).
///
/// - ``record(_:)``: the caller waits until its record is committed. If no commit is running,
///   the caller commits everything queued (its own record included) in one store transaction;
///   otherwise it waits for the running commit's successor, which a background task starts.
/// - ``enqueue(_:)``: queues the record and returns at once (one mutex acquisition); a
///   background task commits the queue after ``AuditConfiguration/flushInterval`` or as soon
///   as ``AuditConfiguration/maxBufferedRecords`` are queued.
final class AuditLog: Sendable {
    // Sendable without @unchecked: `let`s of Sendable types and a PosixMutex over a Sendable state.
    let store: any LifecycleSecretStore
    let keyring: AuditKeyring
    private let configuration: AuditConfiguration
    private let metrics: VaultMetrics
    private let logger: Logger

    private struct Waiter {
        var ticket: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [AuditEvent] = []
        /// Records ever queued; the n-th queued record has ticket n.
        var queued: UInt64 = 0
        /// Every ticket up to this one is committed or failed.
        var resolved: UInt64 = 0
        /// The highest ticket someone waits for (a write, a failure, a flush): records up to it
        /// are committed right away, buffered reads after it wait for the timer.
        var urgentUpTo: UInt64 = 0
        var committing = false
        var timerArmed = false
        var waiters: [Waiter] = []
    }

    private let state = PosixMutex(State())

    init(store: any LifecycleSecretStore, keyring: AuditKeyring, configuration: AuditConfiguration, metrics: VaultMetrics, logger: Logger) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    deinit {
        let dropped = state.withLock { $0.pending.count }
        if dropped > 0 {
            logger.error("buffered audit records dropped: the vault was released before they were committed; call flushAudit() first",
                         metadata: ["records": "\(dropped)"])
        }
    }

    // MARK: Recording

    /// Queues `event` and returns once it is committed.
    /// - Throws: the store's error when the commit failed.
    func record(_ event: AuditEvent) async throws {
        try await record(contentsOf: [event])
    }

    /// Queues `events` and returns once all of them are committed.
    func record(contentsOf events: [AuditEvent]) async throws {
        if events.isEmpty { return }
        let (ticket, lead) = state.withLock { s -> (UInt64, Bool) in
            s.pending.append(contentsOf: events)
            s.queued += UInt64(events.count)
            s.urgentUpTo = s.queued
            if s.committing { return (s.queued, false) }
            s.committing = true
            return (s.queued, true)
        }
        if lead {
            // Our record is in this batch: one transaction, then hand over what arrived meanwhile.
            try await commitBatch(handOver: true)
        } else {
            try await wait(for: ticket)
        }
    }

    /// Queues `event` for a background commit and returns at once.
    func enqueue(_ event: AuditEvent) {
        enum Next { case nothing, arm, commit }
        let (next, depth) = state.withLock { s -> (Next, Int) in
            s.pending.append(event)
            s.queued += 1
            if s.pending.count >= configuration.maxBufferedRecords, !s.committing {
                s.committing = true
                return (.commit, s.pending.count)
            }
            if s.timerArmed || s.committing { return (.nothing, s.pending.count) }
            s.timerArmed = true
            return (.arm, s.pending.count)
        }
        metrics.auditQueueDepth.set(depth)
        switch next {
        case .nothing: break
        case .commit: Task { await self.drain() }
        case .arm: armTimer()
        }
    }

    /// Commits the queue after ``AuditConfiguration/flushInterval``. The caller set `timerArmed`.
    private func armTimer() {
        // Weak: a timer must not keep a released vault's store (and its open database) alive.
        let interval = configuration.flushInterval
        Task { [weak self] in
            try? await Task.sleep(for: interval)
            guard let self else { return }
            self.state.withLock { $0.timerArmed = false }
            await self.flushQueued()
        }
    }

    /// Returns once every record queued before the call is committed (or failed).
    func flush() async throws {
        let (ticket, lead) = state.withLock { s -> (UInt64, Bool) in
            if s.resolved >= s.queued { return (0, false) }
            s.urgentUpTo = s.queued
            if s.committing { return (s.queued, false) }
            s.committing = true
            return (s.queued, true)
        }
        if lead {
            await drain()
        } else if ticket > 0 {
            try await wait(for: ticket)
        }
    }

    // MARK: Committing

    private func wait(for ticket: UInt64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { s -> Bool in
                if s.resolved >= ticket { return true }
                s.waiters.append(Waiter(ticket: ticket, continuation: c))
                return false
            }
            if done { c.resume() }
        }
    }

    /// Starts committing if nobody is, and commits until the queue is empty.
    private func flushQueued() async {
        let lead = state.withLock { s -> Bool in
            if s.committing || s.pending.isEmpty { return false }
            s.committing = true
            return true
        }
        if lead { await drain() }
    }

    /// Commits batches until the queue is empty. The caller holds `committing`. After three
    /// failed commits in a row it gives up: queued records are dropped (logged) and their
    /// waiters get the error, so a broken store neither spins nor strands a caller.
    private func drain() async {
        var failures = 0
        while true {
            do {
                try await commitBatch(handOver: false)
                failures = 0
            } catch {
                failures += 1
                if failures >= 3 {
                    let (dropped, waiters) = state.withLock { s -> (Int, [Waiter]) in
                        let dropped = s.pending.count
                        s.pending.removeAll()
                        s.resolved = s.queued
                        let waiters = s.waiters
                        s.waiters.removeAll()
                        s.committing = false
                        return (dropped, waiters)
                    }
                    if dropped > 0 {
                        metrics.auditDropped.increment(by: dropped)
                        metrics.auditQueueDepth.set(0)
                        logger.error("audit records dropped after repeated store failures", metadata: ["records": "\(dropped)"])
                    }
                    for w in waiters { w.continuation.resume(throwing: error) }
                    return
                }
            }
            enum Next { case done, more, arm }
            let next = state.withLock { s -> Next in
                if s.pending.isEmpty {
                    s.committing = false
                    return .done
                }
                // Someone waits for a record in the queue: commit again now. Otherwise only
                // buffered reads are queued: let them gather until the timer, so a steady
                // stream of reads is committed in batches, not one tiny transaction after another.
                if s.urgentUpTo > s.resolved || s.pending.count >= configuration.maxBufferedRecords { return .more }
                s.committing = false
                if s.timerArmed { return .done }
                s.timerArmed = true
                return .arm
            }
            switch next {
            case .done: return
            case .more: continue
            case .arm:
                armTimer()
                return
            }
        }
    }

    /// Commits everything queued in one store transaction. The caller holds `committing`.
    /// With `handOver`, afterwards releases `committing` or, when more records arrived
    /// meanwhile, passes it to a background task.
    private func commitBatch(handOver: Bool) async throws {
        let (batch, upTo) = state.withLock { s -> ([AuditEvent], UInt64) in
            let batch = s.pending
            s.pending.removeAll(keepingCapacity: true)
            return (batch, s.queued)
        }
        var failure: (any Error)?
        if !batch.isEmpty {
            metrics.auditQueueDepth.set(0)
            let start = metrics.start()
            do {
                try await append(batch)
                if let start { metrics.auditFlushDuration.record(since: start) }
                metrics.auditCommitted.increment(by: batch.count)
            } catch {
                failure = error
                logger.error("audit records could not be written", metadata: [
                    "records": "\(batch.count)", "error": "\(error)",
                ])
            }
        }
        enum Next { case none, drain, arm }
        let (ready, next) = state.withLock { s -> ([Waiter], Next) in
            s.resolved = max(s.resolved, upTo)
            var ready: [Waiter] = []
            s.waiters.removeAll { w in
                if w.ticket <= upTo {
                    ready.append(w)
                    return true
                }
                return false
            }
            guard handOver else { return (ready, .none) }
            if s.pending.isEmpty {
                s.committing = false
                return (ready, .none)
            }
            // Records someone waits for: a background task commits them now. Only buffered
            // reads: they wait for the timer (batched), see drain().
            if s.urgentUpTo > s.resolved || s.pending.count >= configuration.maxBufferedRecords { return (ready, .drain) }
            s.committing = false
            if s.timerArmed { return (ready, .none) }
            s.timerArmed = true
            return (ready, .arm)
        }
        for w in ready {
            if let failure { w.continuation.resume(throwing: failure) } else { w.continuation.resume() }
        }
        switch next {
        case .none: break
        case .drain: Task { await self.drain() }
        case .arm: armTimer()
        }
        if let failure { throw failure }
    }

    private func append(_ batch: [AuditEvent]) async throws {
        let (keyVersion, key) = try await keyring.current(store)
        _ = try await store.appendAudit(count: batch.count) { head in
            try AuditChain.link(batch, after: head, key: key, keyVersion: keyVersion)
        }
    }
}
