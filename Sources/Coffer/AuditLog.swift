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
/// - ``enqueue(_:)``: queues the record and returns at once (one mutex acquisition); the queue
///   is committed after ``AuditConfiguration/flushInterval`` or as soon as
///   ``AuditConfiguration/maxBufferedRecords`` are queued.
///
/// Who commits in the background depends on the mode (docs/ARCHITECTURE.md, "Audit"):
/// - *self-scheduling* (the default: CLI, plain library use): the log starts its own `Task`s,
///   a flush timer and drain tasks;
/// - *driven* (while a `VaultService` runs, see ``drive()``): the log starts no `Task`; it
///   signals an ``AuditWriterDriver`` whose ``AuditWriterDriver/run(sleep:)`` the service runs
///   inside its own structured `run()`;
/// - *stopped* (after that service stopped, ``AuditWriterDriver/stop()``): nothing runs in the
///   background any more, so ``enqueue(_:)`` refuses and the caller commits its record inline,
///   as with ``AuditConfiguration/ReadAuditing/synchronous`` reads.
///
/// Back-pressure (none: ``enqueue(_:)`` never blocks), the drop after three failed commits in a
/// row, the metrics and the errors are the same code in every mode.
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
        var mode: Mode = .selfScheduling
        /// Driven: `committing` is held for the driver, which has been signalled to drain.
        var drainOwed = false
        /// `Task`s the log started itself (self-scheduling mode only); for tests.
        var tasksStarted = 0
        /// Drivers handed out so far (identifies the current one).
        var drivers: UInt64 = 0

        /// Hands the commit of the queue to whoever commits in this mode. The caller set
        /// `committing`.
        mutating func startDrain() -> Start {
            switch mode {
            case .selfScheduling:
                tasksStarted += 1
                return .drainTask
            case .driven(let wakes):
                drainOwed = true
                return .signal(wakes.drain)
            case .stopped:
                return .drainInline
            }
        }

        /// Starts the wait of ``AuditConfiguration/flushInterval`` in this mode. The caller set
        /// `timerArmed`.
        mutating func startTimer() -> Start {
            switch mode {
            case .selfScheduling:
                tasksStarted += 1
                return .timerTask
            case .driven(let wakes):
                return .signal(wakes.timer)
            case .stopped:
                // Never reached: a stopped log commits everything queued at once (nextStep).
                timerArmed = false
                return .none
            }
        }

        /// After a commit by the holder of `committing`: commit again now (`.drainInline`, the
        /// holder keeps `committing`), or release it and maybe start the timer.
        mutating func nextStep(maxBuffered: Int) -> Start {
            if pending.isEmpty {
                committing = false
                return .none
            }
            // Someone waits for a record in the queue: commit again now. Otherwise only
            // buffered reads are queued: let them gather until the timer, so a steady stream
            // of reads is committed in batches, not one tiny transaction after another. A
            // stopped log has no timer: it commits everything now.
            if urgentUpTo > resolved || pending.count >= maxBuffered { return .drainInline }
            if case .stopped = mode { return .drainInline }
            committing = false
            if timerArmed { return .none }
            timerArmed = true
            return startTimer()
        }
    }

    /// Who commits buffered records in the background (see the type's documentation).
    enum Mode {
        case selfScheduling
        case driven(AuditWriterDriver.Wakes)
        case stopped
    }

    /// What to start once the lock is released, decided under it from the mode.
    enum Start {
        case none
        /// Self-scheduling: a `Task` drains the queue.
        case drainTask
        /// Self-scheduling: a `Task` waits for the flush interval, then commits the queue.
        case timerTask
        /// Driven: wake the driver's loop.
        case signal(AsyncStream<Void>.Continuation)
        /// The caller, holding `committing`, drains the queue itself.
        case drainInline
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

    /// Queues `event` for a background commit and returns true at once; or returns false,
    /// queuing nothing, when the log is stopped (its service has stopped): then the caller
    /// commits the record with ``record(_:)``.
    func enqueue(_ event: AuditEvent) -> Bool {
        let (start, depth) = state.withLock { s -> (Start, Int)? in
            if case .stopped = s.mode { return nil }
            s.pending.append(event)
            s.queued += 1
            if s.pending.count >= configuration.maxBufferedRecords, !s.committing {
                s.committing = true
                return (s.startDrain(), s.pending.count)
            }
            if s.timerArmed || s.committing { return (.none, s.pending.count) }
            s.timerArmed = true
            return (s.startTimer(), s.pending.count)
        } ?? (.none, -1)
        if depth < 0 { return false }
        metrics.auditQueueDepth.set(depth)
        launch(start)
        return true
    }

    /// Starts what `start` says, except `.drainInline` (the caller's job).
    private func launch(_ start: Start) {
        switch start {
        case .none, .drainInline: break
        case .drainTask: Task { await self.drain() }
        case .timerTask:
            // Weak: a timer must not keep a released vault's store (and its open database) alive.
            let interval = configuration.flushInterval
            Task { [weak self] in
                try? await Task.sleep(for: interval)
                await self?.timerFired()
            }
        case .signal(let wake): wake.yield()
        }
    }

    /// The flush interval since the timer was started has passed: commit the queue.
    func timerFired() async {
        state.withLock { $0.timerArmed = false }
        await flushQueued()
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

    // MARK: Driven mode

    /// Switches the log to driven mode and returns its driver; nil when another driver drives
    /// it already. From now on the log starts no `Task`: the driver's
    /// ``AuditWriterDriver/run(sleep:)`` does the timed and full-buffer commits. A timer or
    /// drain task started before the switch still ends as usual (it commits, then hands on
    /// to the driver).
    func drive() -> AuditWriterDriver? {
        let (drain, drainWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (timer, timerWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (wakes, driven, start) = state.withLock { s -> (AuditWriterDriver.Wakes, Bool, Start) in
            s.drivers += 1
            let wakes = AuditWriterDriver.Wakes(id: s.drivers, drain: drainWake, timer: timerWake)
            if case .driven = s.mode { return (wakes, false, .none) }
            s.mode = .driven(wakes)
            // Records queued while stopped (none) or a timer lost in a stop: start over.
            if !s.pending.isEmpty, !s.timerArmed, !s.committing {
                s.timerArmed = true
                return (wakes, true, s.startTimer())
            }
            return (wakes, true, .none)
        }
        guard driven else {
            drainWake.finish()
            timerWake.finish()
            return nil
        }
        launch(start)
        return AuditWriterDriver(log: self, wakes: wakes, drains: drain, timers: timer, flushInterval: configuration.flushInterval)
    }

    /// Driven: the driver was woken to drain. Drains when the drain is still owed to it.
    func drivenDrain() async {
        let owed = state.withLock { s -> Bool in
            guard s.drainOwed else { return false }
            s.drainOwed = false
            return true
        }
        if owed { await drain() }
    }

    /// Ends driven mode (the log is *stopped*): from now on ``enqueue(_:)`` refuses, so every
    /// record is committed inline by its caller. Ends the driver's streams, and drains the
    /// queue here when a drain was owed to the driver (it may have stopped listening).
    func stopDriving(_ wakes: AuditWriterDriver.Wakes) async {
        let owed = state.withLock { s -> Bool? in
            guard case .driven(let current) = s.mode, current.id == wakes.id else { return nil }
            s.mode = .stopped
            s.timerArmed = false
            defer { s.drainOwed = false }
            return s.drainOwed
        }
        wakes.drain.finish()
        wakes.timer.finish()
        if owed == true { await drain() }
    }

    /// `Task`s this log started itself so far (test seam: zero in driven mode).
    var tasksStarted: Int { state.withLock { $0.tasksStarted } }

    /// Records queued and not yet committed (or failed).
    var buffered: Int { state.withLock { $0.pending.count } }

    /// Whether a driver drives the log.
    var isDriven: Bool {
        state.withLock { s in
            if case .driven = s.mode { return true }
            return false
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
            let next = state.withLock { $0.nextStep(maxBuffered: configuration.maxBufferedRecords) }
            if case .drainInline = next { continue }
            launch(next)
            return
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
        let (ready, next) = state.withLock { s -> ([Waiter], Start) in
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
            // Records someone waits for: committed now, by whoever drains in this mode (a
            // stopped log: this caller). Only buffered reads: they wait for the timer (batched).
            let next = s.nextStep(maxBuffered: configuration.maxBufferedRecords)
            if case .drainInline = next { return (ready, s.startDrain()) }
            return (ready, next)
        }
        for w in ready {
            if let failure { w.continuation.resume(throwing: failure) } else { w.continuation.resume() }
        }
        if case .drainInline = next {
            await drain()
        } else {
            launch(next)
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
