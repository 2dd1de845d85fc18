import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import CoreMetrics
import Foundation
import InMemoryTracing
import Logging

/// `coffer-vault-bench --observability`: what metrics and tracing cost on the warm get. Four
/// vaults on four fresh SQLite files, identical but for `VaultConfiguration.metricsFactory` and
/// `.tracer`: nil for both (the global factory and tracer, never bootstrapped: no-op), the
/// no-op metrics handler passed explicitly, a real metrics backend (`CountingMetricsFactory`:
/// atomics), and a real in-process tracer (swift-distributed-tracing's `InMemoryTracer`: one
/// span per get, kept in memory; emptied after each round so memory stays bounded). Warm gets
/// of a 256-byte token over `ops` names, in alternating order per round; medians over the
/// rounds, and the median of the per-round ratios.
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

        let tracer = InMemoryTracer()
        let factories: [(any MetricsFactory)?] = [nil, NOOPMetricsHandler.instance, CountingMetricsFactory(), nil]
        let tracers: [InMemoryTracer?] = [nil, nil, nil, tracer]
        let labels = [
            "metrics nil, tracer nil (no bootstrap)", "no-op metrics factory passed", "real metrics factory (atomics)",
            "real tracer (InMemoryTracer)",
        ]
        let sides = labels.count
        var vaults: [Vault] = []
        var scopes: [WorkspaceScope] = []
        for (i, factory) in factories.enumerated() {
            var configuration = VaultConfiguration()
            configuration.metricsFactory = factory
            configuration.tracer = tracers[i]
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
        tracer.clearAll()
        var noopRatio: [Double] = [], realRatio: [Double] = [], tracerRatio: [Double] = []
        var spans = 0
        var sink = 0
        for round in 0..<rounds {
            let order = names.shuffled()
            var t = [Double](repeating: 0, count: sides), c = [Double](repeating: 0, count: sides)
            for k in 0..<sides {
                let side = (k + round) % sides
                let c0 = Samples.cpuNow()
                let t0 = Samples.now()
                for n in order { sink &+= try await scopes[side].get(n).value.count }
                t[side] = (Samples.now() - t0) / Double(ops)
                c[side] = (Samples.cpuNow() - c0) / Double(ops)
                try await vaults[side].flushAudit()
            }
            for i in 0..<sides { get[i].record(t[i], cpu: c[i]) }
            noopRatio.append(t[1] / t[0])
            realRatio.append(t[2] / t[0])
            tracerRatio.append(t[3] / t[0])
            spans += tracer.popFinishedSpans().count
        }
        precondition(sink != 42)
        // The tracer really recorded: at least one span per timed get.
        precondition(spans >= rounds * ops, "the in-memory tracer recorded \(spans) spans for \(rounds * ops) gets")

        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var out = "coffer-vault-bench --observability: 256-byte token, SQLite, warm DEK, \(rounds) rounds x \(ops) gets\n"
        for r in get {
            out += r.name.padding(toLength: 56, withPad: " ", startingAt: 0)
                + "  median \(f(r.median / 1e3)) us/get  (\(Int((1e9 / r.median).rounded())) gets/s)  cpu \(f(Samples.median(r.cpu) / 1e3)) us\n"
        }
        out += "\nno-op factory passed / nil      \(f(Samples.median(noopRatio)))x\n"
        out += "real factory / nil              \(f(Samples.median(realRatio)))x\n"
        out += "real tracer / nil               \(f(Samples.median(tracerRatio)))x  (\(spans) spans recorded)\n"
        return out
    }
}
