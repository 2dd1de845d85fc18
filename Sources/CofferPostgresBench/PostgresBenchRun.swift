import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One benchmark run against a PostgreSQL server: a fresh schema (migrated by the maintenance
/// role, dropped at the end), a ``Vault`` on ``PostgresStore`` and the raw PostgresNIO baseline
/// (``RawPostgres``), each once with a one-connection pool driven by one task and once with a
/// 16-connection pool driven by 16 concurrent tasks. Rows are measured in alternating rounds (the
/// order rotates every round), so load from other processes hits every row alike; each figure is
/// the median over rounds and each ratio the median of the per-round ratios.
struct PostgresBenchRun: Sendable {
    var rounds: Int
    var ops: Int
    var concurrency: Int
    var maintenance: PostgresClient.Configuration
    var application: PostgresClient.Configuration
    /// Whether the vaults keep the audit log (the default in production); `--audit off` measures without it.
    var audit: Bool = true
    /// How successful reads are audited when `audit` is on.
    var reads: AuditConfiguration.ReadAuditing = .buffered

    static let tokenBytes = 256

    /// One way of driving the server: a pool size and a number of concurrent tasks.
    struct Mode: Sendable {
        var label: String
        var tasks: Int
        var raw: RawPostgres
        var scope: WorkspaceScope
    }

    /// Rows of one mode.
    struct ModeSamples {
        var rawInsert: Samples
        var vaultPut: Samples
        var rawSelect: Samples
        var rawBound: Samples
        var vaultGet: Samples
        var putRatios: [Double] = []
        var getRatios: [Double] = []
        var getBoundRatios: [Double] = []

        init(_ label: String) {
            rawInsert = Samples(name: "\(label): raw insert (BEGIN, INSERT, COMMIT)")
            vaultPut = Samples(name: "\(label): vault put (WorkspaceScope.put)")
            rawSelect = Samples(name: "\(label): raw select by primary key")
            rawBound = Samples(name: "\(label): raw select in BEGIN+set_config txn")
            vaultGet = Samples(name: "\(label): vault get, warm DEK (WorkspaceScope.get)")
        }
    }

    /// A new schema name for one run (dropped at its end).
    static func freshSchema() -> String {
        String("bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))
    }

    /// `configuration` with at most `connections` connections.
    static func pool(_ configuration: PostgresClient.Configuration, connections: Int) -> PostgresClient.Configuration {
        var c = configuration
        c.options.maximumConnections = connections
        return c
    }

    func run() async throws -> PostgresBenchReport {
        let logger = Logger(label: "coffer.postgres-bench") { _ in SwiftLogNoOpLogHandler() }
        let schema = Self.freshSchema()
        let options = PostgresStore.Options(schema: schema)
        let maint = Self.pool(maintenance, connections: 1)
        func app(_ connections: Int) -> PostgresClient.Configuration { Self.pool(application, connections: connections) }

        // The single-connection store migrates the schema (maintenance role) and creates the
        // workspace; the concurrent one opens the same schema with the application role only.
        let singleStore = try await PostgresStore(application: app(1), maintenance: maint, options: options, logger: logger)
        let poolStore: PostgresStore
        do {
            poolStore = try await PostgresStore(application: app(concurrency), maintenance: nil, options: options, logger: logger)
        } catch {
            await singleStore.close()
            throw error
        }
        let admin = PostgresClient(configuration: maint, backgroundLogger: logger)
        let rawSingle = PostgresClient(configuration: app(1), backgroundLogger: logger)
        let rawPool = PostgresClient(configuration: app(concurrency), backgroundLogger: logger)
        let runners = [admin, rawSingle, rawPool].map { client in Task { await client.run() } }
        defer { for r in runners { r.cancel() } }

        do {
            for sql in RawPostgres.setupStatements(schema: schema, role: application.username) {
                try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            }
            let kek = try LocalKEK(SymmetricKey.generate())
            var configuration = VaultConfiguration()
            configuration.audit.enabled = audit
            configuration.audit.reads = reads
            let singleVault = Vault(store: singleStore, kek: kek, configuration: configuration, logger: logger)
            try await singleVault.createWorkspace("bench")
            let poolVault = Vault(store: poolStore, kek: kek, configuration: configuration, logger: logger)
            let modes = [
                Mode(label: "1 conn", tasks: 1, raw: RawPostgres(client: rawSingle, schema: schema, logger: logger),
                     scope: try singleVault.workspace("bench")),
                Mode(label: "pool \(concurrency)", tasks: concurrency,
                     raw: RawPostgres(client: rawPool, schema: schema, logger: logger),
                     scope: try poolVault.workspace("bench")),
            ]
            let report = try await measure(modes)
            await singleStore.close()
            await poolStore.close()
            try await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(RawPostgres.quoted(schema)) CASCADE"), logger: logger)
            return report
        } catch {
            await singleStore.close()
            await poolStore.close()
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(RawPostgres.quoted(schema)) CASCADE"), logger: logger)
            throw error
        }
    }

    private func measure(_ modes: [Mode]) async throws -> PostgresBenchReport {
        var rng = SystemRandomNumberGenerator()
        let token = SecretBytes((0..<Self.tokenBytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
        // The raw side stores a blob of the size the vault stores: a real sealed token.
        let sealed = try EnvelopeKey(SymmetricKey.generate(), id: 1)
            .seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))
        precondition(sealed.count == Self.tokenBytes + CiphertextHeader.overhead)
        let blob = ByteBuffer(bytes: sealed)

        // Warm-up (not recorded): opens every pool connection, fills the DEK cache and the
        // server's plan and buffer caches.
        for (m, mode) in modes.enumerated() {
            let names = (0..<min(ops, 32 * mode.tasks)).map { "warmup/m\(m)/t\($0)" }
            _ = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.raw.insert(name: $0, blob: blob); return 0 }
            _ = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.scope.put($0, value: token); return 0 }
            _ = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.raw.select(name: $0) }
            _ = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.raw.selectBound(name: $0) }
            _ = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.scope.get($0).value.count }
        }

        var samples = modes.map { ModeSamples($0.label) }
        var sink = 0
        for round in 0..<rounds {
            for (m, mode) in modes.enumerated() {
                let names = (0..<ops).map { "bench/m\(m)/r\(round)/token-\($0)" }
                // Puts: the two rows swap order every round.
                var tp = [Double](repeating: 0, count: 2), cp = tp
                for k in 0..<2 {
                    let side = (k + round) % 2
                    let c0 = Samples.cpuNow()
                    let t: Double
                    if side == 0 {
                        (t, _) = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.raw.insert(name: $0, blob: blob); return 0 }
                    } else {
                        (t, _) = try await ConcurrentOps.timed(names, tasks: mode.tasks) { try await mode.scope.put($0, value: token); return 0 }
                    }
                    tp[side] = t
                    cp[side] = (Samples.cpuNow() - c0) / Double(ops)
                }
                samples[m].rawInsert.record(tp[0], cpu: cp[0])
                samples[m].vaultPut.record(tp[1], cpu: cp[1])
                samples[m].putRatios.append(tp[1] / tp[0])

                // Gets: the same shuffled names for every row; the order of rows rotates.
                let order = names.shuffled()
                var tg = [Double](repeating: 0, count: 3), cg = tg
                for k in 0..<3 {
                    let side = (k + round) % 3
                    let c0 = Samples.cpuNow()
                    let (t, s): (Double, Int)
                    switch side {
                    case 0: (t, s) = try await ConcurrentOps.timed(order, tasks: mode.tasks) { try await mode.raw.select(name: $0) }
                    case 1: (t, s) = try await ConcurrentOps.timed(order, tasks: mode.tasks) { try await mode.raw.selectBound(name: $0) }
                    default: (t, s) = try await ConcurrentOps.timed(order, tasks: mode.tasks) { try await mode.scope.get($0).value.count }
                    }
                    sink &+= s
                    tg[side] = t
                    cg[side] = (Samples.cpuNow() - c0) / Double(ops)
                }
                samples[m].rawSelect.record(tg[0], cpu: cg[0])
                samples[m].rawBound.record(tg[1], cpu: cg[1])
                samples[m].vaultGet.record(tg[2], cpu: cg[2])
                samples[m].getRatios.append(tg[2] / tg[0])
                samples[m].getBoundRatios.append(tg[2] / tg[1])
            }
        }
        // Every get returned the 290-byte blob or the 256-byte token.
        precondition(sink == rounds * ops * modes.count * (2 * (Self.tokenBytes + CiphertextHeader.overhead) + Self.tokenBytes))
        return PostgresBenchReport(rounds: rounds, ops: ops, concurrency: concurrency, modes: samples)
    }
}
