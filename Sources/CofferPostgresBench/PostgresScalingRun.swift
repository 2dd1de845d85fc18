import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `coffer-postgres-bench --scaling 1,2,4,8,16`: vault put and warm get of a 256-byte token on
/// PostgreSQL at each task count N, with a pool of N application connections (store and raw
/// client alike), next to raw PostgresNIO insert and select of the same 290-byte sealed blob
/// (issue 14). Per task count: a fresh ``PostgresStore`` and raw client with N connections on
/// the benchmark's schema, then `rounds` alternating rounds; in each, N tasks share `ops`
/// operations per row (task k does ops k, k + N, …):
/// - raw insert (`BEGIN`, `INSERT`, `COMMIT`) and raw select by primary key;
/// - vault put / get with every task in one workspace (the hot case: one data key, one
///   encryption-count row);
/// - vault put / get with task k in workspace k mod 16 (at 1 task: one workspace too).
/// The audit log is on (the default configuration).
struct PostgresScalingRun: Sendable {
    var rounds: Int
    var ops: Int
    var levels: [Int]
    var maintenance: PostgresClient.Configuration
    var application: PostgresClient.Configuration

    func run() async throws -> String {
        let logger = Logger(label: "coffer.postgres-scaling-bench") { _ in SwiftLogNoOpLogHandler() }
        let schema = PostgresBenchRun.freshSchema()
        let options = PostgresStore.Options(schema: schema)
        let maint = PostgresBenchRun.pool(maintenance, connections: 1)
        func app(_ connections: Int) -> PostgresClient.Configuration { PostgresBenchRun.pool(application, connections: connections) }
        // Migrates the schema and creates the workspaces (maintenance role for the DDL).
        let setupStore = try await PostgresStore(application: app(1), maintenance: maint, options: options, logger: logger)
        let admin = PostgresClient(configuration: maint, backgroundLogger: logger)
        let adminRunner = Task { await admin.run() }
        defer { adminRunner.cancel() }
        let kek = try LocalKEK(SymmetricKey.generate())
        do {
            for sql in RawPostgres.setupStatements(schema: schema, role: application.username) {
                try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
            let setupVault = Vault(store: setupStore, kek: kek, logger: logger)
            try await setupVault.createWorkspace("bench")
            for w in 0..<StoreScaling.spreadWorkspaces { try await setupVault.createWorkspace("spread-\(w)") }
            await setupStore.close()
            let table = try await measure(options: options, kek: kek, app: app, logger: logger, schema: schema)
            try await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(RawPostgres.quoted(schema)) CASCADE"), logger: logger)
            return table
        } catch {
            await setupStore.close()
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(RawPostgres.quoted(schema)) CASCADE"), logger: logger)
            throw error
        }
    }

    private func measure(
        options: PostgresStore.Options, kek: LocalKEK, app: (Int) -> PostgresClient.Configuration, logger: Logger, schema: String
    ) async throws -> String {
        var rng = SystemRandomNumberGenerator()
        let token = SecretBytes((0..<PostgresBenchRun.tokenBytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let sealed = try EnvelopeKey(SymmetricKey.generate(), id: 1)
            .seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))
        let blob = ByteBuffer(bytes: sealed)

        let scaling = StoreScaling(rawInsert: "raw insert (BEGIN, INSERT, COMMIT)", rawSelect: "raw select by primary key")
        var table = scaling.table(
            title: "coffer-postgres-bench --scaling: 256-byte token (290-byte sealed blob), audit on (default), "
                + "pool of N connections for N tasks, \(rounds) rounds x \(ops) ops per row and task count; tasks share the ops",
            levels: levels)

        var sink = 0
        for (l, tasks) in levels.enumerated() {
            let store = try await PostgresStore(application: app(tasks), maintenance: nil, options: options, logger: logger)
            let client = PostgresClient(configuration: app(tasks), backgroundLogger: logger)
            let runner = Task { await client.run() }
            defer { runner.cancel() }
            do {
                let vault = Vault(store: store, kek: kek, logger: logger)
                let hot = try vault.workspace("bench", actor: "bench")
                let spread = try (0..<StoreScaling.spreadWorkspaces).map { try vault.workspace("spread-\($0)", actor: "bench") }
                let raw = RawPostgres(client: client, schema: schema, logger: logger)
                // Warm-up (not recorded): opens every connection, fills the DEK cache and the
                // server's plan caches.
                let warm = (0..<max(64, 8 * tasks)).map { "warmup/t\(tasks)/\($0)" }
                _ = try await ConcurrentOps.timed(warm.count, tasks: tasks) { i, task in
                    try await raw.insert(name: warm[i], blob: blob)
                    _ = try await raw.select(name: warm[i])
                    for scope in [hot, spread[task % StoreScaling.spreadWorkspaces]] {
                        try await scope.put(warm[i], value: token)
                        _ = try await scope.get(warm[i])
                    }
                    return 0
                }
                for round in 0..<rounds {
                    let names = (0..<ops).map { "r\(round)/t\(tasks)/token-\($0)" }
                    let (times, s) = try await scaling.round(ops: ops, tasks: tasks, rotation: round + l, StoreScaling.operations(
                        names: names, hot: hot, spread: spread,
                        rawInsert: { try await raw.insert(name: $0, blob: blob) }, rawSelect: { try await raw.select(name: $0) },
                        put: { try await $0.put($1, value: token) }, get: { try await $0.get($1).value.count }))
                    sink &+= s
                    try await vault.flushAudit()
                    table.record(level: tasks, times)
                }
                await store.close()
            } catch {
                await store.close()
                throw error
            }
        }
        precondition(sink == rounds * levels.count * ops * (sealed.count + 2 * PostgresBenchRun.tokenBytes))
        return table.table()
    }
}
