import Coffer
import CofferAWSKMS
import CofferCrypto
import CofferSQLite
import Foundation
import Logging
import Testing

/// A vault whose KEK is in the local KMS: KMS calls per 10,000 gets, and KMS going away in the
/// middle of a run.
@Suite(.enabled(if: LocalKMS.available, "COFFER_TEST_KMS_URL is not set: start moto with scripts/kms.sh"))
struct KMSVaultTests {
    static func tempStore() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-kms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("vault.db").path
    }

    static func vault(_ path: String, _ kek: any KeyEncryptionKeyProvider) throws -> Vault {
        Vault(store: try SQLiteStore(path: path, logger: LocalKMS.logger), kek: kek, logger: LocalKMS.logger)
    }

    /// 100 workspaces, 10,000 gets from 16 tasks with a cold cache: one Decrypt per data key
    /// (and one for the audit MAC key), one DescribeKey, however many tasks ask at once.
    @Test func kmsCallsPer10000GetsOver100Workspaces() async throws {
        let arn = try await LocalKMS.createKey()
        let path = try Self.tempStore()
        let setup = try LocalKMS.provider(key: arn)
        let seeding = try Self.vault(path, setup)
        for i in 0..<100 {
            try await seeding.createWorkspace("ws\(i)")
            _ = try await seeding.workspace("ws\(i)").put("token", value: SecretBytes(Array("value-\(i)".utf8)))
        }
        #expect(setup.client.callCounts.generateDataKey == 100)

        let kek = try LocalKMS.provider(key: arn)
        let vault = try Self.vault(path, kek)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<16 {
                group.addTask {
                    var n = t
                    while n < 10_000 {
                        let ws = n % 100
                        let secret = try await vault.workspace("ws\(ws)").get("token")
                        #expect(secret.value == SecretBytes(Array("value-\(ws)".utf8)))
                        n += 16
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = kek.client.callCounts
        print("KMS calls for 10,000 gets over 100 workspaces (cold cache, 16 tasks): \(counts)")
        #expect(counts.describeKey == 1)
        #expect(counts.decrypt <= 101 && counts.decrypt >= 100, "\(counts)")
        #expect(counts.encrypt == 0 && counts.generateDataKey == 0)
    }

    /// KMS stops: data keys already unwrapped keep serving (reads and writes), a cold
    /// workspace fails as "KEK service unavailable", and nothing is lost.
    @Test func kmsStoppedMidRun() async throws {
        let arn = try await LocalKMS.createKey()
        let path = try Self.tempStore()
        let seeding = try Self.vault(path, try LocalKMS.provider(key: arn))
        for ws in ["warm", "cold"] {
            try await seeding.createWorkspace(ws)
            _ = try await seeding.workspace(ws).put("token", value: SecretBytes(Array("\(ws)-1".utf8)))
        }

        let proxy = try FaultProxy()
        let vault = try Self.vault(path, try LocalKMS.provider(key: arn, endpoint: proxy.url, timeout: "5s"))
        // Warm up: the data key of "warm" and the audit MAC key (a put records itself) are cached.
        #expect(try await vault.workspace("warm").get("token").value == SecretBytes(Array("warm-1".utf8)))
        #expect(try await vault.workspace("warm").put("token", value: SecretBytes(Array("warm-2".utf8))).version == 2)
        proxy.kill()

        #expect(try await vault.workspace("warm").get("token").value == SecretBytes(Array("warm-2".utf8)))
        let put = try await vault.workspace("warm").put("token", value: SecretBytes(Array("warm-3".utf8)))
        #expect(put.version == 3)
        do {
            _ = try await vault.workspace("cold").get("token")
            Issue.record("a cold workspace opened without KMS")
        } catch VaultError.kekServiceUnavailable {
        }

        // KMS back: everything is there, including the write made while it was down.
        let after = try Self.vault(path, try LocalKMS.provider(key: arn))
        #expect(try await after.workspace("warm").get("token").value == SecretBytes(Array("warm-3".utf8)))
        #expect(try await after.workspace("warm").get("token", version: 1).value == SecretBytes(Array("warm-1".utf8)))
        #expect(try await after.workspace("cold").get("token").value == SecretBytes(Array("cold-1".utf8)))
    }
}
