import Coffer
import CofferService
import ServiceLifecycle
import Testing

/// The audit writer in driven mode: while a `VaultService` runs, the vault's audit log starts no
/// `Task` of its own; the service's `run()` commits full buffers, timed flushes and the rest at
/// shutdown, and afterwards nothing is buffered any more.
@Suite("VaultService drives the audit writer")
struct DrivenAuditWriterTests {
    /// Runs `vault` in a `VaultService` in a `ServiceGroup`; `whileRunning` starts once the
    /// service drives the audit writer and triggers the shutdown with the closure it gets.
    private func runService(
        _ vault: Vault,
        whileRunning: @Sendable (_ shutdown: @Sendable () async -> Void) async throws -> Void
    ) async throws {
        try await ServiceFixture.runGroup(VaultService(vault: vault, logger: ServiceFixture.logger), untilDriven: vault, whileRunning: whileRunning)
    }

    /// A fixture configured by `configure` and a vault over it with workspace "acme" holding
    /// secret 0 (one put).
    private func seededVault(_ configure: (inout VaultConfiguration) -> Void = { _ in }) async throws -> (ServiceFixture, Vault) {
        let fixture = try ServiceFixture(configure: configure)
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        try await vault.workspace("acme").put(ServiceFixture.name(0), value: ServiceFixture.value(0))
        return (fixture, vault)
    }

    /// Commits at 16 buffered records or after 20 ms: both the full-buffer and the timed
    /// commits run.
    private static func smallBuffer(_ configuration: inout VaultConfiguration) {
        configuration.audit.maxBufferedRecords = 16
        configuration.audit.flushInterval = .milliseconds(20)
    }

    /// The committed records of `action`, read from the store by a second vault (which has
    /// buffered nothing itself).
    private func committed(_ action: AuditAction, in reader: Vault) async throws -> Int {
        try await reader.auditRecords().filter { $0.event.action == action }.count
    }

    @Test("concurrent puts and reads: no Task of the log's own, nothing buffered after run(), every record committed",
          .timeLimit(.minutes(2)))
    func concurrentWorkLosesNothing() async throws {
        let (fixture, vault) = try await seededVault(Self.smallBuffer)
        let tasksBefore = vault.auditTasksStarted
        let (writers, each) = (8, 25)
        try await runService(vault) { shutdown in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        let acme = try vault.workspace("acme")
                        for i in 0..<each {
                            let name = ServiceFixture.name(w * each + i)
                            try await acme.put(name, value: ServiceFixture.value(i))
                            _ = try await acme.get(name)
                        }
                    }
                }
                try await group.waitForAll()
            }
            await shutdown()
        }
        #expect(vault.auditTasksStarted == tasksBefore, "the audit log started a Task of its own while driven")
        #expect(vault.bufferedAuditRecords == 0)
        #expect(!vault.isAuditWriterDriven)
        let reader = try fixture.vault()
        #expect(try await committed(.put, in: reader) == writers * each + 1)
        #expect(try await committed(.get, in: reader) == writers * each)
        #expect(try await reader.verifyAudit().intact)
    }

    @Test("without a service the same work makes the log start its own Tasks (the counter above can fail)", .timeLimit(.minutes(1)))
    func selfSchedulingStartsTasks() async throws {
        let (fixture, vault) = try await seededVault(Self.smallBuffer)
        let acme = try vault.workspace("acme")
        for _ in 0..<40 { _ = try await acme.get(ServiceFixture.name(0)) }
        #expect(vault.auditTasksStarted > 0)
        try await vault.flushAudit()
        #expect(try await committed(.get, in: try fixture.vault()) == 40)
    }

    @Test("a full buffer is committed by the service's loop while it runs, before any shutdown", .timeLimit(.minutes(1)))
    func fullBufferCommittedByTheService() async throws {
        // The interval is an hour (ServiceFixture): only the full buffer can cause a commit.
        let (fixture, vault) = try await seededVault { $0.audit.maxBufferedRecords = 8 }
        let acme = try vault.workspace("acme")
        let reader = try fixture.vault()
        try await runService(vault) { shutdown in
            for _ in 0..<7 { _ = try await acme.get(ServiceFixture.name(0)) }
            #expect(vault.bufferedAuditRecords == 7)
            #expect(try await committed(.get, in: reader) == 0)
            _ = try await acme.get(ServiceFixture.name(0))
            // The eighth record fills the buffer: the service's loop commits all eight.
            while try await committed(.get, in: reader) < 8 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(try await committed(.get, in: reader) == 8)
            #expect(vault.isAuditWriterDriven)
            #expect(vault.auditTasksStarted == 0)
            await shutdown()
        }
        #expect(try await committed(.get, in: reader) == 8)
    }

    @Test("after run() returned a read commits its own record before it returns; a new service drives the log again",
          .timeLimit(.minutes(1)))
    func readAfterStopCommitsInline() async throws {
        let (fixture, vault) = try await seededVault()
        let acme = try vault.workspace("acme")
        let reader = try fixture.vault()
        try await runService(vault) { shutdown in
            for _ in 0..<5 { _ = try await acme.get(ServiceFixture.name(0)) }
            #expect(vault.bufferedAuditRecords == 5)
            await shutdown()
        }
        #expect(vault.bufferedAuditRecords == 0)
        #expect(try await committed(.get, in: reader) == 5)

        // Stopped: no flush interval of an hour, no flushAudit(): the read itself commits.
        _ = try await acme.get(ServiceFixture.name(0))
        #expect(vault.bufferedAuditRecords == 0)
        #expect(try await committed(.get, in: reader) == 6)

        // Run again: buffered again while the service runs, committed at its shutdown.
        try await runService(vault) { shutdown in
            _ = try await acme.get(ServiceFixture.name(0))
            #expect(vault.bufferedAuditRecords == 1)
            await shutdown()
        }
        #expect(try await committed(.get, in: reader) == 7)
        #expect(vault.auditTasksStarted == 0)
        #expect(try await reader.verifyAudit().intact)
    }
}
