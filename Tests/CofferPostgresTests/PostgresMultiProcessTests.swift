import Coffer
import CofferCrypto
import CofferPostgres
import CofferTestSupport
import Foundation
import Testing

/// Two OS processes (`coffer-store-stress --postgres-vault`) write, read, rotate and re-encrypt
/// one workspace in one database for a few seconds: nothing is lost, versions stay unique and
/// contiguous, rotations never double up, and the persistent usage counters are exact.
@Suite("Vault on PostgreSQL from two OS processes", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresMultiProcessTests {
    typealias Fixture = PostgresVaultFixture

    struct Put: Hashable {
        let name: String
        let version: UInt32
        let dataKeyVersion: UInt32
        let label: String
    }

    @Test(.timeLimit(.minutes(10)))
    func twoProcessesWriteRotateAndReencryptExactly() async throws {
        var keyBytes = [UInt8](repeating: 0, count: 32)
        for i in keyBytes.indices { keyBytes[i] = UInt8.random(in: 0...255) }
        let kekBase64 = Data(keyBytes).base64EncodedString()
        let kek = try LocalKEK(SymmetricKey(base64: kekBase64), displayName: "stress")
        let executable = try ChildProcess.executable("coffer-store-stress")

        try await Fixture.with(kek: kek, configure: { $0.maxVersionsPerSecret = 1_000_000 }) { f in
            try await f.vault.createWorkspace("w")
            let children = try (0..<2).map { n in
                try ChildProcess.start(
                    executable, ["--postgres-vault", f.schema, "child\(n)", "4"], environment: ["COFFER_STRESS_KEK": kekBase64])
            }
            var puts: [Put] = []
            var rotations: [UInt32] = []
            var reencrypted = 0
            for (n, child) in children.enumerated() {
                let result = child.finish()
                #expect(result.status == 0, "child \(n) failed: \(result.stderr)")
                for line in result.stdout.split(separator: "\n") {
                    let parts = line.split(separator: " ").map(String.init)
                    switch parts.first ?? "" {
                    case "put" where parts.count == 5:
                        puts.append(Put(name: parts[1], version: try #require(UInt32(parts[2])),
                                        dataKeyVersion: try #require(UInt32(parts[3])), label: parts[4]))
                    case "rotate" where parts.count == 2: rotations.append(try #require(UInt32(parts[1])))
                    case "reencrypt" where parts.count == 2: reencrypted += try #require(Int(parts[1]))
                    default: Issue.record("unexpected child output line \(line.prefix(40))")
                    }
                }
            }
            let shared = puts.filter { $0.name == "shared" }
            #expect(shared.count >= 20, "too few rounds in 4 s: \(shared.count)")
            #expect(rotations.count >= 4 && reencrypted > 0)

            // Versions unique and contiguous, per secret; every put readable with its value.
            let scope = try f.freshVault().workspace("w")
            for name in ["shared", "own-child0", "own-child1"] {
                let mine = puts.filter { $0.name == name }
                #expect(mine.map(\.version).sorted() == (1...UInt32(mine.count)).map { $0 }, "\(name)")
                #expect(try await scope.history(name).map(\.version).sorted() == (1...UInt32(mine.count)).map { $0 }, "\(name)")
            }
            for put in puts {
                let stored = try await scope.get(put.name, version: put.version)
                #expect(stored.value.unprotectedArray() == Array(put.label.utf8), "\(put.name) version \(put.version)")
            }

            // Data keys: versions 1...K, no gaps or duplicates; the primary is the newest; every
            // rotation reported a version that exists.
            let keys = try await f.store.dataKeys(workspace: "w").map(\.version)
            #expect(keys == (1...UInt32(keys.count)).map { $0 })
            let workspace = try #require(try await f.store.workspace("w"))
            #expect(workspace.primaryDataKeyVersion == UInt32(keys.count))
            #expect(rotations.allSatisfy { $0 >= 2 && $0 <= UInt32(keys.count) })
            // No double rotation: racing rotations from the same primary create one key.
            #expect(keys.count - 1 <= rotations.count)
            #expect(try await f.maintenanceInt(
                "SELECT COUNT(*)::bigint FROM {S}.secret_versions v WHERE NOT EXISTS (SELECT 1 FROM {S}.data_keys k WHERE k.workspace_id = v.workspace_id AND k.version = v.dek_version)") == 0)

            // Usage counters: the sum is exactly puts + re-encryptions; each key counts at least
            // the puts sealed under it, and the excess over all keys is the re-encryptions.
            let status = try #require(try await f.vault.status(workspace: "w").workspaces.first)
            var counts: [UInt32: UInt64] = [:]
            for key in status.dataKeys { counts[key.version] = key.encryptionCount }
            #expect(counts.values.reduce(0, +) == UInt64(puts.count + reencrypted))
            var putsPerKey: [UInt32: UInt64] = [:]
            for put in puts { putsPerKey[put.dataKeyVersion, default: 0] += 1 }
            for (version, n) in putsPerKey {
                #expect((counts[version] ?? 0) >= n, "data key \(version)")
            }
            #expect(try await f.maintenanceInt("SELECT SUM(encryption_count)::bigint FROM {S}.data_keys") == puts.count + reencrypted)
        }
    }

    /// Issue 14: a process killed with SIGKILL while it holds leased encryptions never lets a
    /// data key pass its limit (LeaseKillScenario), on PostgreSQL.
    @Test(.timeLimit(.minutes(10)))
    func killedProcessHoldingALeaseNeverPassesTheLimit() async throws {
        let kekBase64 = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let kek = try LocalKEK(SymmetricKey(base64: kekBase64), displayName: "stress")
        try await Fixture.with(kek: kek, configure: { $0.maxVersionsPerSecret = 1_000_000 }) { f in
            try await f.vault.createWorkspace("w")
            try await f.vault.setRotationPolicy(workspace: "w", RotationPolicy(maxEncryptionsPerDataKey: 48))
            let scenario = LeaseKillScenario(
                executable: try ChildProcess.executable("coffer-store-stress"), storeArgument: "postgres:\(f.schema)",
                environment: ["COFFER_STRESS_KEK": kekBase64])
            try await scenario.run(store: f.store, vault: f.freshVault(), limit: 48, leaseSize: 16, seconds: 6)
        }
    }
}
