import Benchmark
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Logging
import Synchronization

// Vault put/get of a 256-byte token on SQLite (fresh database file in a temp dir, default
// SQLiteStore options: WAL, synchronous NORMAL), next to raw GRDB insert/select of the same
// 290-byte sealed blob in a table with the same primary key (workspace_id, name, version),
// same pool configuration. One benchmark iteration = one put, get, insert or select.
// Every put/insert is its own write transaction on a new name; gets/selects cycle over the
// names written in setup; the DEK cache is warm. Cross-check with coffer-vault-bench, which
// measures the same operations alternating in one process.

/// Everything one benchmark needs, created in its setup hook and dropped in teardown.
final class Fixture: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    let directory: String
    let store: SQLiteStore
    let scope: WorkspaceScope
    let raw: DatabasePool
    let token: SecretBytes
    let blob: [UInt8]
    let names: [String]
    let counter = Atomic<Int>(0)

    static let preloaded = 1000

    init() async throws {
        directory = FileManager.default.temporaryDirectory.path + "/coffer-vault-benchmarks-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logger = Logger(label: "coffer.benchmarks") { _ in SwiftLogNoOpLogHandler() }
        store = try SQLiteStore(path: directory + "/vault.db", logger: logger)
        let vault = Vault(store: store, kek: try LocalKEK(SymmetricKey.generate()), logger: logger)
        try await vault.createWorkspace("bench")
        scope = try vault.workspace("bench")
        token = SecretBytes((0..<256).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) })
        blob = try EnvelopeKey(SymmetricKey.generate(), id: 1)
            .seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))

        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        config.maximumReaderCount = 5
        config.journalMode = .wal
        raw = try DatabasePool(path: directory + "/raw.db", configuration: config)
        try await raw.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        try await raw.write { db in
            try db.execute(sql: """
                CREATE TABLE raw_versions (workspace_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
                    ciphertext BLOB NOT NULL, PRIMARY KEY (workspace_id, name, version)) STRICT
                """)
        }
        names = (0..<Self.preloaded).map { "preloaded/token-\($0)" }
        for n in names {
            try await scope.put(n, value: token)
            try insertRaw(n)
        }
        _ = try await scope.get(names[0])  // DEK cache warm
    }

    func nextName() -> String {
        "bench/token-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    func insertRaw(_ name: String) throws {
        try raw.write { db in
            try db.cachedStatement(sql: "INSERT INTO raw_versions VALUES (?, ?, ?, ?)")
                .execute(arguments: ["bench", name, 1, Data(blob)])
        }
    }

    func selectRaw(_ name: String) throws -> Data? {
        try raw.read { db in
            try Data.fetchOne(
                db.cachedStatement(sql: "SELECT ciphertext FROM raw_versions WHERE workspace_id = ? AND name = ? AND version = ?"),
                arguments: ["bench", name, 1])
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// The fixture of the running benchmark (benchmarks run one at a time).
let current = Mutex<Fixture?>(nil)

func fixture() -> Fixture {
    guard let f = current.withLock({ $0 }) else { fatalError("benchmark fixture missing") }
    return f
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 100,
        maxDuration: .seconds(2),
        maxIterations: 20_000
    )
    let setUp: Benchmark.BenchmarkSetupHook = {
        let f = try await Fixture()
        current.withLock { $0 = f }
    }
    let tearDown: Benchmark.BenchmarkTeardownHook = { current.withLock { $0 = nil } }

    Benchmark("vault put 256 B (SQLite)", closure: { benchmark in
        let f = fixture()
        for _ in benchmark.scaledIterations {
            blackHole(try await f.scope.put(f.nextName(), value: f.token))
        }
    }, setup: setUp, teardown: tearDown)

    Benchmark("raw GRDB insert 290 B", closure: { benchmark in
        let f = fixture()
        for _ in benchmark.scaledIterations {
            try f.insertRaw(f.nextName())
        }
    }, setup: setUp, teardown: tearDown)

    Benchmark("vault get 256 B, warm DEK (SQLite)", closure: { benchmark in
        let f = fixture()
        for _ in benchmark.scaledIterations {
            let i = f.counter.add(1, ordering: .relaxed).newValue % Fixture.preloaded
            blackHole(try await f.scope.get(f.names[i]))
        }
    }, setup: setUp, teardown: tearDown)

    Benchmark("raw GRDB select 290 B (pool.read)", closure: { benchmark in
        let f = fixture()
        for _ in benchmark.scaledIterations {
            let i = f.counter.add(1, ordering: .relaxed).newValue % Fixture.preloaded
            blackHole(try f.selectRaw(f.names[i]))
        }
    }, setup: setUp, teardown: tearDown)
}
