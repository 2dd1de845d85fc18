public import Coffer
public import Logging
public import ServiceLifecycle

/// A ``Coffer/Vault`` as a swift-service-lifecycle `Service`: put it in the application's
/// `ServiceGroup` and the vault's background work runs, and stops, with the application.
///
/// ```swift
/// let vault = Vault(store: store, kek: kek, logger: logger)
/// var jobs = VaultService.Configuration()
/// jobs.purge = .init(interval: .seconds(86_400))
/// let group = ServiceGroup(
///     services: [VaultService(vault: vault, configuration: jobs, logger: logger), httpServer],
///     gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
///
/// ``run()`` owns the vault's audit writer: while it runs, the audit log starts no `Task` of its
/// own, and the timed and full-buffer commits of buffered records run in `run()`'s task group
/// (``Coffer/AuditConfiguration/flushInterval``, ``Coffer/AuditConfiguration/maxBufferedRecords``).
/// It runs the jobs of its ``Configuration`` (each off by default) until graceful shutdown,
/// then lets the job in progress end — a re-encryption pass stops after its current batch,
/// committed whole — returns the encryptions the vault leased and did not use
/// (``Coffer/Vault/releaseEncryptionLeases()``), commits every buffered audit record and
/// returns. From then on the vault buffers no audit record: a read made after `run()` returned
/// commits its own record before it returns (as with
/// ``Coffer/AuditConfiguration/ReadAuditing/synchronous`` reads), so nothing is left in memory
/// when the process exits. A vault that no service runs (the CLI, plain library use) keeps
/// scheduling its own commits. One service drives a vault's audit log at a time; a second one
/// running at once only flushes at its shutdown. List it *before* the services that use the
/// vault: a `ServiceGroup` shuts services down in reverse order, so the HTTP server has stopped
/// taking requests (and buffering audit records) when the vault flushes.
///
/// On cancellation (not graceful) it stops waiting, still tries to flush, and returns.
public struct VaultService: Service {
    /// The vault whose background work this service runs.
    public let vault: Vault
    /// The jobs it runs.
    public let configuration: Configuration
    private let logger: Logger

    /// A service running `configuration`'s jobs on `vault`, logging to `logger` (job names,
    /// counts and error kinds; never a value or key).
    public init(vault: Vault, configuration: VaultService.Configuration = .init(), logger: Logger) {
        self.vault = vault
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the configured jobs until graceful shutdown (or cancellation), then flushes the
    /// audit log.
    /// - Throws: ``Coffer/VaultError/invalidValue(_:)`` before anything runs when a job's
    ///   interval is not positive; the store's error when the final audit flush fails (the
    ///   records are then lost, and logged as such by the vault).
    public func run() async throws {
        let jobs = scheduledJobs()
        if let job = jobs.first(where: { $0.interval <= .zero }) {
            throw VaultError.invalidValue("the interval of the vault service's \(job.name) job must be positive")
        }
        // From here on the audit log starts no Task of its own: its timed and full-buffer
        // commits run in this task group (nil: auditing is off, or another service drives it).
        let auditWriter = vault.driveAuditWriter()
        logger.info("vault service started", metadata: [
            "jobs": "\(jobs.map(\.name).joined(separator: ","))", "audit_writer": "\(auditWriter == nil ? "not driven" : "driven")",
        ])
        var stopError: (any Error)?
        await withTaskGroup(of: Void.self) { writer in
            if let auditWriter {
                writer.addTask { await auditWriter.run { await Self.sleepUntilShutdown($0) } }
            }
            await withTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask { await self.repeatUntilShutdown(job) }
                }
                // Waits for graceful shutdown even with no job (a CancellationError only ends the wait).
                group.addTask { try? await gracefulShutdown() }
                await group.waitForAll()
            }
            let returned = await vault.releaseEncryptionLeases()
            logger.info("vault service stopping: flushing the audit log", metadata: ["leased_encryptions_returned": "\(returned)"])
            // The jobs have ended. Stopping the writer ends its loop (after the commit in
            // progress) and commits what is queued; a read after this commits its own record.
            do { try await auditWriter?.stop() } catch { stopError = error }
        }
        if let stopError { throw stopError }
        try await vault.flushAudit()
        logger.info("vault service stopped")
    }

    /// The audit writer's wait for its flush interval: ends early on graceful shutdown or
    /// cancellation (the final commit follows).
    private static func sleepUntilShutdown(_ duration: Duration) async {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }

    // MARK: Jobs

    private struct Job: Sendable {
        var name: String
        var interval: Duration
        var body: @Sendable () async throws -> Void
    }

    private func scheduledJobs() -> [Job] {
        var jobs: [Job] = []
        let vault = vault
        let logger = logger
        if let purge = configuration.purge {
            jobs.append(Job(name: "purge", interval: purge.interval) {
                let report = try await vault.purge(batchSize: purge.batchSize)
                logger.info("purge job done", metadata: [
                    "secret_versions": "\(report.secretVersionsPurged)", "workspaces": "\(report.workspacesShredded.count)",
                    "audit_records": "\(report.auditRecordsPurged)",
                ])
            })
        }
        if let reencryption = configuration.reencryption {
            jobs.append(Job(name: "reencrypt", interval: reencryption.interval) {
                let control = ReencryptionControl(
                    shouldStop: { Task.isShuttingDownGracefully },
                    pause: { duration in try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) } },
                    batchWillCommit: reencryption.batchWillCommit)
                let report = try await vault.reencrypt(
                    batchSize: reencryption.batchSize, ratePerSecond: reencryption.ratePerSecond, control: control,
                    progress: reencryption.progress)
                logger.info(report.finished ? "re-encryption job done" : "re-encryption job stopped for shutdown", metadata: [
                    "reencrypted": "\(report.reencrypted)", "skipped": "\(report.skipped)", "batches": "\(report.batches)",
                ])
            })
        }
        if let interval = configuration.policyRotationInterval {
            jobs.append(Job(name: "rotate", interval: interval) {
                let rotated = try await vault.rotateDueDataKeys()
                if !rotated.isEmpty { logger.info("policy rotation job rotated data keys", metadata: ["workspaces": "\(rotated.count)"]) }
            })
        }
        if let interval = configuration.auditFlushInterval {
            jobs.append(Job(name: "audit-flush", interval: interval) { try await vault.flushAudit() })
        }
        if let interval = configuration.dataKeyCacheSweepInterval {
            jobs.append(Job(name: "cache-sweep", interval: interval) {
                let dropped = vault.evictExpiredDataKeys()
                if dropped > 0 { logger.debug("dropped expired data keys", metadata: ["keys": "\(dropped)"]) }
            })
        }
        return jobs
    }

    /// Runs `job` now and then every `interval` until graceful shutdown or cancellation. The
    /// wait between runs ends early on shutdown; a run in progress is not interrupted.
    private func repeatUntilShutdown(_ job: Job) async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await job.body()
            } catch is CancellationError {
                return
            } catch {
                logger.error("vault job failed; it runs again at its next interval", metadata: ["job": "\(job.name)", "error": "\(error)"])
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: job.interval) }
        }
    }
}
