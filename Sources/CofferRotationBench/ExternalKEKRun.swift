import Coffer
import CofferAWSKMS
import CofferCrypto
import CofferPKCS11
import CofferSQLite
import Foundation

/// `coffer-rotation-bench kms` and `pkcs11`: a KEK outside the process (AWS KMS against a
/// KMS-compatible endpoint, e.g. moto_server; a PKCS#11 token, e.g. SoftHSM2): the provider's
/// wrap and unwrap latency and unwrap throughput at 1 and 16 tasks, cold and warm gets with a
/// file KEK and then with the external one, and `rotateKEK` from the file KEK to it over many
/// workspaces (BENCHMARKS.md, "KEK in AWS KMS" and "KEK in an HSM").
enum ExternalKEKRun {
    /// The external KEK under test.
    struct Target {
        /// Short name for the output (`kms`, `pkcs11`).
        let name: String
        /// A new provider of the same key (each with its own connections or sessions).
        let make: () throws -> any KeyEncryptionKeyProvider
        /// The provider's service calls so far, for the output ("" when it does not count them).
        let calls: (any KeyEncryptionKeyProvider) -> String
    }

    /// A fresh AWS KMS key at the environment's endpoint.
    static func kms() async throws -> Target {
        let env = ProcessInfo.processInfo.environment
        let admin = AWSKMSClient(configuration: try AWSKMSConfiguration.fromEnvironment(
            key: try AWSKMSKeySpec(parsing: "alias/bench-admin"), environment: env))
        let created = try JSONSerialization.jsonObject(with: Data(try await admin.call("CreateKey", body: Array("{}".utf8)))) as? [String: Any]
        guard let arn = (created?["KeyMetadata"] as? [String: Any])?["Arn"] as? String else { throw BenchError("CreateKey answered no ARN") }
        return Target(
            name: "kms", make: { try AWSKMSKEKProvider(uri: "aws-kms:" + arn, environment: env) },
            calls: { ($0 as? AWSKMSKEKProvider).map { "\($0.client.callCounts)" } ?? "" })
    }

    /// The PKCS#11 key named by `COFFER_BENCH_PKCS11_URI` (a `pkcs11:` URI with a PIN file),
    /// created in its token first when it is not there yet.
    static func pkcs11(sessions: Int) throws -> Target {
        guard let text = ProcessInfo.processInfo.environment["COFFER_BENCH_PKCS11_URI"], !text.isEmpty else {
            throw BenchError("set COFFER_BENCH_PKCS11_URI to a pkcs11: URI (token, object, module-path, pin-source)")
        }
        guard case .pkcs11(let uri) = try KEKProviderURI(parsing: text) else { throw BenchError("COFFER_BENCH_PKCS11_URI is not a pkcs11: URI") }
        if (try? PKCS11KEKProvider.generateKey(uri: uri)) != nil { print("pkcs11 key \(uri.object) created in token \(uri.token)") }
        return Target(name: "pkcs11", make: { try PKCS11KEKProvider(uri: uri, sessions: sessions) }, calls: { _ in "" })
    }

    static func run(
        db: String, workspaces: Int, batchSize: Int, target: Target, probes: Int = 200, warmGetCount: Int = 20_000, unwrapKeys: Int = 2_000
    ) async throws {
        guard !FileManager.default.fileExists(atPath: db) else { throw BenchError("\(db) exists; \(target.name) needs a new path") }
        try await unwrapThroughput(target, keys: unwrapKeys)

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

        // rotate-kek file → external, from a vault with an empty cache (as the CLI runs it).
        let newKEK = try target.make()
        _ = try await newKEK.keyID()
        let vault = Vault(store: store, kek: fileKEK, logger: Fixture.logger)
        let (seconds, cpu, load, _) = try await Fixture.timedRotation(vault, to: newKEK, batchSize: batchSize, expected: workspaces)
        print("rotate-kek file->\(target.name) workspaces=\(workspaces) batch=\(batchSize) seconds=\(Measure.f(seconds, 3))"
            + " keys_per_s=\(Int((Double(workspaces) / seconds).rounded())) coffer_cpu_s=\(Measure.f(cpu, 3))"
            + " calls=[\(target.calls(newKEK))] load1=\(Measure.f(load))")

        // Gets with the external KEK.
        let coldProvider = try target.make()
        _ = try await coldProvider.keyID()
        let externalCold = try await coldGets(Vault(store: store, kek: coldProvider, logger: Fixture.logger), probeCount, id)
        print("cold-get \(target.name) calls=[\(target.calls(coldProvider))] for \(probeCount) workspaces")
        let externalWarmVault = Vault(store: store, kek: try target.make(), logger: Fixture.logger)
        _ = try await externalWarmVault.workspace(id(0)).get("probe")
        // Warm gets, alternating rounds between the two vaults; medians of 7 rounds each.
        var fileRounds: [Double] = [], externalRounds: [Double] = []
        for _ in 0..<7 {
            fileRounds.append(try await warmGets(fileWarmVault, warmGetCount / 7, id(0)))
            externalRounds.append(try await warmGets(externalWarmVault, warmGetCount / 7, id(0)))
        }
        let fileWarm = fileRounds.sorted()[3], externalWarm = externalRounds.sorted()[3]
        print("cold-get us/op file=\(Measure.f(fileCold * 1e6, 1)) \(target.name)=\(Measure.f(externalCold * 1e6, 1)) ratio=\(Measure.f(externalCold / fileCold, 1))x (n=\(probeCount))")
        print("warm-get us/op file=\(Measure.f(fileWarm * 1e6, 2)) \(target.name)=\(Measure.f(externalWarm * 1e6, 2)) ratio=\(Measure.f(externalWarm / fileWarm, 3))x (7 alternating rounds of \(warmGetCount / 7))")
    }

    /// Wraps `keys` data keys with one provider, then unwraps all of them with 1 and with 16
    /// tasks (each task its share in turn): wrap and unwrap latency percentiles and unwrap
    /// throughput, as the provider alone costs (no store, no vault cache).
    static func unwrapThroughput(_ target: Target, keys: Int) async throws {
        let provider = try target.make()
        _ = try await provider.keyID()
        var wrapped: [WrappedDataKey] = []
        var wrapLatencies: [Double] = []
        let dataKey = SymmetricKey.generate()
        for i in 0..<keys {
            let t0 = Measure.now()
            wrapped.append(try await provider.wrap(dataKey, workspace: "ws-\(i)", dataKeyVersion: 1))
            wrapLatencies.append(Measure.now() - t0)
        }
        print("wrap \(target.name) keys=\(keys) \(percentiles(wrapLatencies))")
        for tasks in [1, 16] {
            let load = Measure.loadAverage()
            let t0 = Measure.now()
            let all = wrapped
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        var mine: [Double] = []
                        for i in stride(from: t, to: all.count, by: tasks) {
                            let s = Measure.now()
                            let key = try await provider.unwrap(all[i], workspace: "ws-\(i)", dataKeyVersion: 1)
                            mine.append(Measure.now() - s)
                            guard key == dataKey else { throw BenchError("unwrap \(i) gave another key") }
                        }
                        return mine
                    }
                }
                var merged: [Double] = []
                for try await part in group { merged += part }
                return merged
            }
            let seconds = Measure.now() - t0
            print("unwrap \(target.name) tasks=\(tasks) keys=\(keys) per_s=\(Int((Double(keys) / seconds).rounded())) \(percentiles(latencies)) load1=\(Measure.f(load))")
        }
    }

    /// "p50_us=… p99_us=…" of `seconds`.
    static func percentiles(_ seconds: [Double]) -> String {
        let sorted = seconds.sorted()
        func p(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))] * 1e6 }
        return "p50_us=\(Measure.f(p(0.5), 1)) p99_us=\(Measure.f(p(0.99), 1))"
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
