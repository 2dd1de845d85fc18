import Coffer
import CofferCrypto
import CofferSQLite
import CofferTestSupport
import Foundation
import Testing

/// Encryption leases (issue 14): a vault that writes to a data key repeatedly counts blocks of
/// encryptions in the key's row and hands them out in memory; the limit stays exact across
/// vaults and processes, and unused leases go back.
@Suite("Encryption leases")
struct EncryptionLeaseTests {
    static func counts(_ f: VaultFixture, _ workspace: String) async throws -> [UInt32: UInt64] {
        var counts: [UInt32: UInt64] = [:]
        for key in try await f.store.dataKeys(workspace: workspace) { counts[key.version] = key.encryptionCount }
        return counts
    }

    @Test("the first put counts one, the second a block, the rest of the block nothing; release returns the rest")
    func blockAccounting() async throws {
        let f = try VaultFixture { $0.encryptionLeaseSize = 8 }
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("s", value: bytes("v0"))
        #expect(try await Self.counts(f, "acme") == [1: 1])   // a one-off writer (the CLI) never leases
        try await acme.put("s", value: bytes("v1"))
        #expect(try await Self.counts(f, "acme") == [1: 9])   // 1 + a block of 8
        for i in 2..<9 { try await acme.put("s", value: bytes("v\(i)")) }
        #expect(try await Self.counts(f, "acme") == [1: 9])   // the block covered these 7
        try await acme.put("s", value: bytes("v9"))
        #expect(try await Self.counts(f, "acme") == [1: 17])
        #expect(await f.vault.releaseEncryptionLeases() == 7)
        #expect(try await Self.counts(f, "acme") == [1: 10])   // exactly the 10 puts
        #expect(await f.vault.releaseEncryptionLeases() == 0)
        for i in 0..<10 {
            #expect(text(try await f.freshVault().workspace("acme").get("s", version: UInt32(i + 1)).value) == "v\(i)")
        }
    }

    @Test("a leased put that fails before sealing gives its encryption back; leasing can be turned off")
    func failedPutsAndOff() async throws {
        let f = try VaultFixture { $0.encryptionLeaseSize = 4 }
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("s", value: bytes("a"))
        try await acme.put("s", value: bytes("b"))     // counts 4: 3 leased
        await #expect(throws: VaultError.self) { try await acme.put("s", value: bytes("c"), expectedVersion: 1) }
        #expect(await f.vault.releaseEncryptionLeases() == 3)   // the conflict used none
        #expect(try await Self.counts(f, "acme") == [1: 2])

        let off = try VaultFixture { $0.encryptionLeaseSize = 1 }
        try await off.vault.createWorkspace("acme")
        for i in 0..<5 { try await off.vault.workspace("acme").put("s", value: bytes("\(i)")) }
        #expect(try await Self.counts(off, "acme") == [1: 5])
        #expect(await off.vault.releaseEncryptionLeases() == 0)
    }

    @Test("two vaults leasing under a small limit never pass it; rotation follows; released counts are exact")
    func limitExactAcrossVaults() async throws {
        // Limit 64, lease 16: a block is at most 64 / 16 = 4.
        let f = try VaultFixture {
            $0.encryptionLeaseSize = 16
            $0.rotationPolicy = RotationPolicy(maxEncryptionsPerDataKey: 64)
            $0.maxVersionsPerSecret = 10_000
        }
        try await f.vault.createWorkspace("acme")
        let vaults = [f.vault, f.freshVault()]
        let perTask = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    let scope = try vaults[t % 2].workspace("acme")
                    for i in 0..<perTask { try await scope.put("s\(t)", value: bytes("\(t)-\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        let sealed = try await f.store.secretVersionCounts(workspace: "acme")
        for (version, count) in try await Self.counts(f, "acme") {
            #expect(count <= 64, "data key \(version) counted \(count)")
            #expect(UInt64(sealed[version] ?? 0) <= count, "data key \(version)")
        }
        for vault in vaults { await vault.releaseEncryptionLeases() }
        let counts = try await Self.counts(f, "acme")
        #expect(counts.count >= 480 / 64)
        #expect(counts.values.reduce(0, +) == 8 * UInt64(perTask))
        for (version, count) in counts { #expect(UInt64(sealed[version] ?? 0) == count, "data key \(version)") }
    }

    @Test("SQLite: a process killed with SIGKILL while holding a lease never lets a data key pass its limit")
    func killedProcessSQLite() async throws {
        let f = try VaultFixture { $0.maxVersionsPerSecret = 1_000_000 }
        try await f.vault.createWorkspace("w")
        try await f.vault.setRotationPolicy(workspace: "w", RotationPolicy(maxEncryptionsPerDataKey: 160))
        let kekBase64 = try #require(f.kekBase64)
        let scenario = LeaseKillScenario(
            executable: try ChildProcess.executable("coffer-store-stress"), storeArgument: f.databasePath,
            environment: ["COFFER_STRESS_KEK": kekBase64])
        try await scenario.run(store: f.store, vault: f.freshVault(), limit: 160, leaseSize: 8)
    }
}
