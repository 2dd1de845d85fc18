/// The audit writer's background work, run by a service inside its own structured `run()`
/// instead of by `Task`s the audit log starts itself (``Vault/driveAuditWriter()``; used by
/// `CofferService.VaultService`).
///
/// While a driver exists and is not stopped, the vault's audit log is *driven*: it starts no
/// `Task`. When ``AuditConfiguration/maxBufferedRecords`` records are buffered, or a commit
/// leaves records that someone waits for, it wakes ``run(sleep:)``, which commits them; when a
/// buffered record starts a flush interval, it wakes the timer loop of ``run(sleep:)``, which
/// waits ``AuditConfiguration/flushInterval`` (with the service's `sleep`) and commits the
/// queue. Batching, back-pressure (none), the drop after three failed commits, metrics and
/// errors are those of the self-scheduling log: only who runs the commits differs.
///
/// ``stop()`` ends driven mode for good: the log is then *stopped*, and a buffered record
/// (a successful read) is committed inline by the read that made it, as with
/// ``AuditConfiguration/ReadAuditing/synchronous`` reads, so nothing can be left in memory
/// after the service has stopped.
package struct AuditWriterDriver: Sendable {
    /// The continuations through which the log wakes the driver's two loops.
    struct Wakes: Sendable {
        /// Tells the current driver from an earlier, stopped one.
        var id: UInt64
        var drain: AsyncStream<Void>.Continuation
        var timer: AsyncStream<Void>.Continuation
    }

    let log: AuditLog
    let wakes: Wakes
    let drains: AsyncStream<Void>
    let timers: AsyncStream<Void>
    let flushInterval: Duration

    /// Runs the audit writer's commits until ``stop()`` (and the commit in progress) ends
    /// them: two child tasks of a task group, one draining the queue when the log says so, one
    /// waiting out each flush interval with `sleep` and then committing the queue. `sleep`
    /// should return early at shutdown (the final commit follows in ``stop()``); it must not
    /// throw.
    package func run(sleep: @escaping @Sendable (Duration) async -> Void) async {
        let log = log, drains = drains, timers = timers, interval = flushInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in drains { await log.drivenDrain() }
            }
            group.addTask {
                for await _ in timers {
                    await sleep(interval)
                    await log.timerFired()
                }
            }
        }
    }

    /// Ends driven mode: the log is stopped (later buffered records are committed inline by
    /// their callers), ``run(sleep:)`` returns once the commit in progress is done, and a
    /// commit owed to the driver is done here. Then commits every record still queued.
    /// - Throws: the store's error when that last commit failed (the records are then dropped
    ///   and logged, as after any three failed commits).
    package func stop() async throws {
        await log.stopDriving(wakes)
        try await log.flush()
    }
}
