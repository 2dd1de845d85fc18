import Coffer
import CofferCrypto
import Foundation
import Testing

@Suite("The vault hooks VaultService's jobs use")
struct VaultJobTests {
    /// A settable clock for the vault.
    final class Clock: Sendable {
        private let time = PosixMutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(by seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    @Test("rotateDueDataKeys rotates exactly the live workspaces whose primary is past the policy's age, and audits each")
    func policyJob() async throws {
        let clock = Clock()
        let fixture = try ServiceFixture { configuration in
            configuration.now = { clock.now }
            configuration.rotationPolicy = RotationPolicy(maxDataKeyAgeSeconds: 3_600, maxEncryptionsPerDataKey: 1 << 30)
        }
        let vault = try fixture.vault()
        for id in ["acme", "beta", "gone"] { try await vault.createWorkspace(id) }
        try await vault.deleteWorkspace("gone")
        #expect(try await vault.rotateDueDataKeys().isEmpty)
        clock.advance(by: 1_800)
        try await vault.createWorkspace("young")
        clock.advance(by: 1_800)
        #expect(try await vault.rotateDueDataKeys() == ["acme", "beta"])
        #expect(try await vault.workspaceInfo("acme").primaryDataKeyVersion == 2)
        #expect(try await vault.workspaceInfo("young").primaryDataKeyVersion == 1)
        #expect(try await vault.workspaceInfo("gone").primaryDataKeyVersion == 1)
        // Nothing is due any more.
        #expect(try await vault.rotateDueDataKeys().isEmpty)
        let rotations = try await vault.auditRecords().filter { $0.event.action == .rotateDataKey }
        #expect(rotations.map(\.event.workspace) == ["acme", "beta"])
        #expect(rotations.allSatisfy { $0.event.detail == "policy" && $0.event.version == 2 })
    }

    @Test("evictExpiredDataKeys drops the cached keys past their age, and only those")
    func cacheSweep() async throws {
        let clock = Clock()
        let fixture = try ServiceFixture { configuration in
            configuration.now = { clock.now }
            configuration.dataKeyCacheMaxAge = .seconds(300)
        }
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        #expect(vault.evictExpiredDataKeys() == 0)
        clock.advance(by: 200)
        try await vault.createWorkspace("beta")
        clock.advance(by: 200)
        #expect(vault.evictExpiredDataKeys() == 1)
        #expect(vault.evictExpiredDataKeys() == 0)
        clock.advance(by: 200)
        #expect(vault.evictExpiredDataKeys() == 1)
        // Evicted keys are unwrapped again on use.
        try await vault.workspace("acme").put("svc/a", value: ServiceFixture.value(1))
        #expect(try await vault.workspace("acme").get("svc/a").value.unprotectedArray() == ServiceFixture.value(1).unprotectedArray())
    }
}
