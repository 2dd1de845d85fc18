import Coffer
import CofferCrypto
import CofferService
import Logging
import ServiceLifecycle
import Testing

@Suite("VaultService in a ServiceGroup")
struct VaultServiceTests {
    @Test("graceful shutdown mid-reencrypt: the batch in progress commits whole, nothing is lost, the pass resumes, every audit record is committed",
          .timeLimit(.minutes(2)))
    func shutdownMidReencrypt() async throws {
        let fixture = try ServiceFixture()
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        let acme = try vault.workspace("acme")
        let count = 25
        for i in 0..<count { try await acme.put(ServiceFixture.name(i), value: ServiceFixture.value(i)) }
        #expect(try await vault.rotateDataKey(workspace: "acme") == 2)

        let inBatch = Signal()
        let batches = Counter()
        var jobs = VaultService.Configuration()
        jobs.reencryption = .init(interval: .seconds(3_600), batchSize: 10)
        // The latch: the first batch is re-sealed but not yet written when the test triggers
        // shutdown, and it is written only once the shutdown has reached the service.
        jobs.reencryption?.batchWillCommit = { _ in
            if batches.increment() == 1 {
                inBatch.fire()
                try? await gracefulShutdown()
            }
        }
        let reads = 7
        try await ServiceFixture.runGroup(VaultService(vault: vault, configuration: jobs, logger: ServiceFixture.logger)) { shutdown in
            await inBatch.wait()
            // Buffered reads while the batch is in flight.
            for i in 0..<reads { _ = try await acme.get(ServiceFixture.name(i)) }
            await shutdown()
        }
        #expect(batches.value == 1)

        // Every operation is in the chain, the buffered reads included (read from a second
        // vault over the same file, which has buffered nothing).
        let reopened = try fixture.vault()
        let records = try await reopened.auditRecords()
        #expect(records.filter { $0.event.action == .put }.count == count)
        #expect(records.filter { $0.event.action == .get }.count == reads)
        let passes = records.filter { $0.event.action == .reencrypt }
        #expect(passes.count == 1)
        #expect(passes.first?.event.detail == "10 re-encrypted, stopped")
        let verification = try await reopened.verifyAudit()
        #expect(verification.intact)

        // Everything opens, with a cold cache; exactly the one batch moved.
        for i in 0..<count {
            let secret = try await reopened.workspace("acme").get(ServiceFixture.name(i))
            #expect(secret.value.unprotectedArray() == ServiceFixture.value(i).unprotectedArray())
        }
        let status = try await reopened.status(workspace: "acme")
        #expect(status.workspaces.first?.secretVersionsToReencrypt == count - 10)

        // The next pass resumes: the remaining versions move, nothing is re-done.
        let rest = try await reopened.reencrypt(batchSize: 10)
        #expect(rest.total == count - 10 && rest.reencrypted == count - 10 && rest.finished)
        #expect(try await reopened.status(workspace: "acme").workspaces.first?.secretVersionsToReencrypt == 0)
        for i in 0..<count {
            let secret = try await reopened.workspace("acme").get(ServiceFixture.name(i))
            #expect(secret.value.unprotectedArray() == ServiceFixture.value(i).unprotectedArray())
        }
    }

    @Test("a job with a non-positive interval is refused before anything runs")
    func nonPositiveIntervalIsRefused() async throws {
        let fixture = try ServiceFixture()
        var jobs = VaultService.Configuration()
        jobs.dataKeyCacheSweepInterval = .zero
        await #expect(throws: VaultError.invalidValue("the interval of the vault service's cache-sweep job must be positive")) {
            try await VaultService(vault: try fixture.vault(), configuration: jobs, logger: ServiceFixture.logger).run()
        }
    }

    @Test("with no job, the service stops on graceful shutdown and commits every buffered audit record", .timeLimit(.minutes(1)))
    func noJobsShutdownFlushes() async throws {
        let fixture = try ServiceFixture()
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        let acme = try vault.workspace("acme")
        try await acme.put(ServiceFixture.name(0), value: ServiceFixture.value(0))
        let reads = 20
        try await ServiceFixture.runGroup(VaultService(vault: vault, logger: ServiceFixture.logger)) { shutdown in
            for _ in 0..<reads { _ = try await acme.get(ServiceFixture.name(0)) }
            await shutdown()
        }
        let reopened = try fixture.vault()
        let records = try await reopened.auditRecords()
        #expect(records.filter { $0.event.action == .get }.count == reads)
        #expect(records.filter { $0.event.action == .put }.count == 1)
        #expect(try await reopened.verifyAudit().intact)
    }
}
