import Coffer
import CofferAWSKMS
import CofferCrypto
import CofferSQLite
import Foundation

/// `coffer-rotation-bench kms`: the AWS KMS provider against a KMS-compatible endpoint (the
/// environment's `AWS_ENDPOINT_URL_KMS`, e.g. moto_server on loopback): cold and warm gets with
/// a file KEK and then with KMS, and `rotateKEK` from the file KEK to KMS over many workspaces,
/// with the KMS calls each costs (BENCHMARKS.md, "KEK in AWS KMS").
enum KMSRun {
    static func run(db: String, workspaces: Int, batchSize: Int, probes: Int = 200, warmGetCount: Int = 20_000) async throws {
        guard !FileManager.default.fileExists(atPath: db) else { throw BenchError("\(db) exists; kms needs a new path") }
        let env = ProcessInfo.processInfo.environment
        // A fresh KMS key for this run.
        let admin = AWSKMSClient(configuration: try AWSKMSConfiguration.fromEnvironment(
            key: try AWSKMSKeySpec(parsing: "alias/bench-admin"), environment: env))
        let created = try JSONSerialization.jsonObject(with: Data(try await admin.call("CreateKey", body: Array("{}".utf8)))) as? [String: Any]
        guard let arn = (created?["KeyMetadata"] as? [String: Any])?["Arn"] as? String else { throw BenchError("CreateKey answered no ARN") }
        func kms() throws -> AWSKMSKEKProvider { try AWSKMSKEKProvider(uri: "aws-kms:" + arn, environment: env) }

        let fileKEK = try Fixture.makeKEK(db)
        let store = try SQLiteStore(path: db, logger: Fixture.logger)
        let id = Fixture.workspaceID
        try await Fixture.createWorkspaces(workspaces, in: store, kek: fileKEK)
        let probeCount = min(probes, workspaces)
        let writer = Vault(store: store, kek: fileKEK, logger: Fixture.logger)
        for i in 0..<probeCount { _ = try await writer.workspace(id(i)).put("probe", value: SecretBytes(Fixture.value(i))) }

        // Gets with the file KEK: cold (a fresh vault; each probe's data key unwrapped once) and warm.
        let fileCold = try await coldGets(Vault(store: store, kek: fileKEK, logger: Fixture.logger), probeCount, id)
        // Kept warm across the rotation: its cached data key stays valid (the key is the same,
        // only its wrapping changes), so warm gets with each KEK can alternate afterwards.
        let fileWarmVault = Vault(store: store, kek: fileKEK, logger: Fixture.logger)
        _ = try await fileWarmVault.workspace(id(0)).get("probe")

        // rotate-kek file → KMS, from a vault with an empty cache (as the CLI runs it).
        let target = try kms()
        _ = try await target.keyID()
        let vault = Vault(store: store, kek: fileKEK, logger: Fixture.logger)
        let (seconds, cpu, load, _) = try await Fixture.timedRotation(vault, to: target, batchSize: batchSize, expected: workspaces)
        print("rotate-kek file->kms workspaces=\(workspaces) batch=\(batchSize) seconds=\(Measure.f(seconds, 3))"
            + " keys_per_s=\(Int((Double(workspaces) / seconds).rounded())) coffer_cpu_s=\(Measure.f(cpu, 3))"
            + " kms_calls=[\(target.client.callCounts)] load1=\(Measure.f(load))")

        // Gets with the KMS KEK.
        let coldProvider = try kms()
        _ = try await coldProvider.keyID()
        let kmsCold = try await coldGets(Vault(store: store, kek: coldProvider, logger: Fixture.logger), probeCount, id)
        print("cold-get kms decrypts=\(coldProvider.client.callCounts.decrypt) for \(probeCount) workspaces")
        let kmsWarmVault = Vault(store: store, kek: try kms(), logger: Fixture.logger)
        _ = try await kmsWarmVault.workspace(id(0)).get("probe")
        // Warm gets, alternating rounds between the two vaults; medians of 7 rounds each.
        var fileRounds: [Double] = [], kmsRounds: [Double] = []
        for _ in 0..<7 {
            fileRounds.append(try await warmGets(fileWarmVault, warmGetCount / 7, id(0)))
            kmsRounds.append(try await warmGets(kmsWarmVault, warmGetCount / 7, id(0)))
        }
        let fileWarm = fileRounds.sorted()[3], kmsWarm = kmsRounds.sorted()[3]
        print("cold-get us/op file=\(Measure.f(fileCold * 1e6, 1)) kms=\(Measure.f(kmsCold * 1e6, 1)) ratio=\(Measure.f(kmsCold / fileCold, 1))x (n=\(probeCount))")
        print("warm-get us/op file=\(Measure.f(fileWarm * 1e6, 2)) kms=\(Measure.f(kmsWarm * 1e6, 2)) ratio=\(Measure.f(kmsWarm / fileWarm, 3))x (7 alternating rounds of \(warmGetCount / 7))")
    }

    /// Seconds per get of one secret in each of `count` workspaces, from a vault with an empty cache.
    static func coldGets(_ vault: Vault, _ count: Int, _ id: (Int) -> String) async throws -> Double {
        // The audit MAC key is unwrapped by the first audited operation: not a data-key cost.
        _ = try await vault.workspace(id(count - 1)).get("probe")
        let t0 = Measure.now()
        for i in 0..<(count - 1) {
            let secret = try await vault.workspace(id(i)).get("probe")
            guard secret.value.unprotectedArray() == Fixture.value(i) else { throw BenchError("probe \(i) does not open") }
        }
        return (Measure.now() - t0) / Double(count - 1)
    }

    /// Seconds per get of one cached secret over one round of `count` gets.
    static func warmGets(_ vault: Vault, _ count: Int, _ workspace: String) async throws -> Double {
        let scope = try vault.workspace(workspace)
        let t0 = Measure.now()
        for _ in 0..<count { _ = try await scope.get("probe") }
        return (Measure.now() - t0) / Double(count)
    }
}
