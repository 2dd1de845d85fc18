import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging

/// `coffer-vault-bench --audit`: what the audit log costs. Three vaults on three fresh SQLite
/// files — audit off, audit on (default: writes wait for their record, successful reads
/// buffered), audit on with synchronous reads — measured in alternating rounds: sequential puts,
/// puts from 8 concurrent tasks (group commit), and warm gets of a 256-byte token.
struct AuditCostRun: Sendable {
    var rounds: Int
    var ops: Int
    var directory: String?

    func run() async throws -> String {
        try await BenchDirectory.with(directory, prefix: "coffer-audit-bench") { try await run(in: $0) }
    }

    private func run(in dir: String) async throws -> String {
        let logger = Logger(label: "coffer.audit-bench") { _ in SwiftLogNoOpLogHandler() }
        let kek = try LocalKEK(SymmetricKey.generate())

        func makeVault(_ name: String, _ configure: (inout VaultConfiguration) -> Void) async throws -> WorkspaceScope {
            var configuration = VaultConfiguration()
            configure(&configuration)
            let vault = Vault(store: try SQLiteStore(path: "\(dir)/\(name).db", logger: logger), kek: kek, configuration: configuration, logger: logger)
            try await vault.createWorkspace("bench")
            return try vault.workspace("bench", actor: "bench")
        }
        let off = try await makeVault("off") { $0.audit.enabled = false }
        let on = try await makeVault("on") { _ in }
        let sync = try await makeVault("sync") { $0.audit.reads = .synchronous }
        let scopes = [off, on, sync]
        let labels = ["audit off", "audit on (default)", "audit on, synchronous reads"]

        let token = SecretBytes((0..<BenchRun.tokenBytes).map { _ in UInt8.random(in: 0...255) })
        for scope in scopes {
            for i in 0..<200 { try await scope.put("warmup/\(i)", value: token); _ = try await scope.get("warmup/\(i)") }
        }
        var put = scopes.indices.map { Samples(name: "put, 1 task: \(labels[$0])") }
        var putConcurrent = scopes.indices.map { Samples(name: "put, 8 tasks: \(labels[$0])") }
        var get = scopes.indices.map { Samples(name: "warm get, 1 task: \(labels[$0])") }
        var putRatio: [Double] = [], putConcurrentRatio: [Double] = [], getRatio: [Double] = [], getSyncRatio: [Double] = []
        var sink = 0
        for round in 0..<rounds {
            let names = (0..<ops).map { "bench/r\(round)/token-\($0)" }
            var t = [Double](repeating: 0, count: 3)
            for k in 0..<3 {
                let side = (k + round) % 3
                let t0 = Samples.now()
                for n in names { try await scopes[side].put(n, value: token) }
                t[side] = (Samples.now() - t0) / Double(ops)
            }
            for i in 0..<3 { put[i].record(t[i], cpu: t[i]) }
            putRatio.append(t[1] / t[0])

            for k in 0..<3 {
                let side = (k + round) % 3
                let scope = scopes[side]
                let t0 = Samples.now()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<8 {
                        group.addTask {
                            for i in stride(from: task, to: ops, by: 8) { try await scope.put("bench/c\(round)/token-\(i)", value: token) }
                        }
                    }
                    try await group.waitForAll()
                }
                t[side] = (Samples.now() - t0) / Double(ops)
            }
            for i in 0..<3 { putConcurrent[i].record(t[i], cpu: t[i]) }
            putConcurrentRatio.append(t[1] / t[0])

            let order = names.shuffled()
            for k in 0..<3 {
                let side = (k + round) % 3
                let t0 = Samples.now()
                for n in order { sink &+= try await scopes[side].get(n).value.count }
                t[side] = (Samples.now() - t0) / Double(ops)
            }
            for i in 0..<3 { get[i].record(t[i], cpu: t[i]) }
            getRatio.append(t[1] / t[0])
            getSyncRatio.append(t[2] / t[0])
        }
        precondition(sink != 42)

        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        var out = "coffer-vault-bench --audit: 256-byte token, SQLite, \(rounds) rounds x \(ops) ops\n"
        for r in put + putConcurrent + get {
            out += r.name.padding(toLength: 50, withPad: " ", startingAt: 0) + "  median \(f(r.median / 1e3)) us/op  (\(Int((1e9 / r.median).rounded())) ops/s)\n"
        }
        let pr = Samples.median(putRatio), pcr = Samples.median(putConcurrentRatio)
        out += "\nput, 1 task: audit on / off                 \(f(pr))x   target <= 2x  \(pr <= 2 ? "MET" : "NOT MET")\n"
        out += "put, 8 tasks: audit on / off                \(f(pcr))x   target <= 2x  \(pcr <= 2 ? "MET" : "NOT MET")\n"
        out += "warm get: audit on (buffered) / off         \(f(Samples.median(getRatio)))x   (no store access on this path)\n"
        out += "warm get: synchronous read audit / off      \(f(Samples.median(getSyncRatio)))x   (opt-in: one commit per get)\n"
        return out
    }
}
