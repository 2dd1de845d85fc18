import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import CoreMetrics
import Foundation
import Logging

/// `coffer-vault-bench --observability`: what metrics cost on the warm get. Three vaults on
/// three fresh SQLite files, identical but for `VaultConfiguration.metricsFactory`: nil (the
/// global factory, never bootstrapped: no-op), the no-op handler passed explicitly, and a real
/// backend (`CountingMetricsFactory`: atomics). No tracer (the default no-op). Warm gets of a
/// 256-byte token over `ops` names, in alternating order per round; medians over the rounds,
/// and the median of the per-round ratios.
struct ObservabilityCostRun: Sendable {
    var rounds: Int
    var ops: Int
    var directory: String?

    func run() async throws -> String {
        try await BenchDirectory.with(directory, prefix: "coffer-observability-bench") { try await run(in: $0) }
    }

    private func run(in dir: String) async throws -> String {
        let logger = Logger(label: "coffer.observability-bench") { _ in SwiftLogNoOpLogHandler() }
        let kek = try LocalKEK(SymmetricKey.generate())

        let factories: [(any MetricsFactory)?] = [nil, NOOPMetricsHandler.instance, CountingMetricsFactory()]
        let labels = ["metrics factory nil (no bootstrap)", "no-op factory passed", "real factory (atomics)"]
        var vaults: [Vault] = []
        var scopes: [WorkspaceScope] = []
        for (i, factory) in factories.enumerated() {
            var configuration = VaultConfiguration()
            configuration.metricsFactory = factory
            let vault = Vault(store: try SQLiteStore(path: "\(dir)/v\(i).db", logger: logger), kek: kek, configuration: configuration, logger: logger)
            try await vault.createWorkspace("bench")
            vaults.append(vault)
            scopes.append(try vault.workspace("bench", actor: "bench"))
        }
        let token = SecretBytes((0..<BenchRun.tokenBytes).map { _ in UInt8.random(in: 0...255) })
        let names = (0..<ops).map { "bench/token-\($0)" }
        for scope in scopes {
            for n in names { try await scope.put(n, value: token) }
            for n in names { _ = try await scope.get(n) }
        }
        var get = labels.map { Samples(name: "warm get, 1 task: \($0)") }
        var noopRatio: [Double] = [], realRatio: [Double] = []
        var sink = 0
        for round in 0..<rounds {
            let order = names.shuffled()
            var t = [Double](repeating: 0, count: 3), c = [Double](repeating: 0, count: 3)
            for k in 0..<3 {
                let side = (k + round) % 3
                let c0 = Samples.cpuNow()
                let t0 = Samples.now()
                for n in order { sink &+= try await scopes[side].get(n).value.count }
                t[side] = (Samples.now() - t0) / Double(ops)
                c[side] = (Samples.cpuNow() - c0) / Double(ops)
                try await vaults[side].flushAudit()
            }
            for i in 0..<3 { get[i].record(t[i], cpu: c[i]) }
            noopRatio.append(t[1] / t[0])
            realRatio.append(t[2] / t[0])
        }
        precondition(sink != 42)

        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var out = "coffer-vault-bench --observability: 256-byte token, SQLite, warm DEK, \(rounds) rounds x \(ops) gets\n"
        for r in get {
            out += r.name.padding(toLength: 56, withPad: " ", startingAt: 0)
                + "  median \(f(r.median / 1e3)) us/get  (\(Int((1e9 / r.median).rounded())) gets/s)  cpu \(f(Samples.median(r.cpu) / 1e3)) us\n"
        }
        out += "\nno-op factory passed / nil      \(f(Samples.median(noopRatio)))x\n"
        out += "real factory / nil              \(f(Samples.median(realRatio)))x\n"
        return out
    }
}
