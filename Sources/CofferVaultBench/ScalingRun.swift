import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging

/// `coffer-vault-bench --scaling 1,2,4,8,16`: vault put and warm get of a 256-byte token on
/// SQLite (default configuration: audit on) at each task count, next to raw GRDB insert and
/// select of the same 290-byte sealed blob at the same task count (issue 14). For each task
/// count N and each round, N tasks share `ops` operations (task k does ops k, k + N, …):
/// - raw insert (`RawBaseline.insert`, one write transaction per row) and raw select
///   (`DatabasePool.read`);
/// - vault put / get with every task in one workspace (the hot case: one data key, one
///   encryption-count row);
/// - vault put / get with task k in workspace k mod 16 (16 workspaces, each with its own data
///   key and counter row; at 1 task this is one workspace too).
/// Rows of one round and task count run in an order that rotates between rounds; buffered read
/// audit records are flushed after the gets, outside the timed windows.
struct ScalingRun: Sendable {
    var rounds: Int
    var ops: Int
    var levels: [Int]
    var directory: String?

    func run() async throws -> String {
        try await BenchDirectory.with(directory, prefix: "coffer-scaling-bench") { try await run(in: $0) }
    }

    private func run(in dir: String) async throws -> String {
        let logger = Logger(label: "coffer.scaling-bench") { _ in SwiftLogNoOpLogHandler() }
        let vault = Vault(store: try SQLiteStore(path: dir + "/vault.db", logger: logger), kek: try LocalKEK(SymmetricKey.generate()), logger: logger)
        try await vault.createWorkspace("bench")
        let hot = try vault.workspace("bench", actor: "bench")
        for w in 0..<StoreScaling.spreadWorkspaces { try await vault.createWorkspace("spread-\(w)") }
        let spread = try (0..<StoreScaling.spreadWorkspaces).map { try vault.workspace("spread-\($0)", actor: "bench") }
        let raw = try RawBaseline(path: dir + "/raw.db")

        let token = SecretBytes((0..<BenchRun.tokenBytes).map { _ in UInt8.random(in: 0...255) })
        let blob = try EnvelopeKey(SymmetricKey.generate(), id: 1)
            .seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))
        precondition(blob.count == BenchRun.tokenBytes + CiphertextHeader.overhead)

        // Warm-up (not recorded): statement and page caches, every workspace's data key.
        for i in 0..<200 {
            let n = "warmup/\(i)"
            try raw.insert(name: n, blob: blob)
            _ = try raw.selectRead(name: n)
            for scope in [hot, spread[i % StoreScaling.spreadWorkspaces]] {
                try await scope.put(n, value: token)
                _ = try await scope.get(n)
            }
        }
        try await vault.flushAudit()

        let scaling = StoreScaling(rawInsert: "raw GRDB insert (pool.write)", rawSelect: "raw GRDB select (pool.read)")
        var table = scaling.table(
            title: "coffer-vault-bench --scaling: SQLite, 256-byte token (290-byte sealed blob), audit on (default), "
                + "\(rounds) rounds x \(ops) ops per row and task count; tasks share the ops",
            levels: levels)
        var sink = 0
        for round in 0..<rounds {
            for (l, tasks) in levels.enumerated() {
                let names = (0..<ops).map { "r\(round)/t\(tasks)/token-\($0)" }
                let (times, s) = try await scaling.round(ops: ops, tasks: tasks, rotation: round + l, StoreScaling.operations(
                    names: names, hot: hot, spread: spread,
                    rawInsert: { try raw.insert(name: $0, blob: blob) }, rawSelect: { try raw.selectRead(name: $0) },
                    put: { try await $0.put($1, value: token) }, get: { try await $0.get($1).value.count }))
                sink &+= s
                try await vault.flushAudit()
                table.record(level: tasks, times)
            }
        }
        // Every get found its row: the 290-byte blob or the 256-byte token.
        precondition(sink == rounds * levels.count * ops * (blob.count + 2 * BenchRun.tokenBytes))
        return table.table()
    }
}
