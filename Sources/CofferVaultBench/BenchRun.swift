import CofferBenchSupport
import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import Logging

/// One benchmark run: sets up the vault (``SQLiteStore`` + ``LocalKEK``) and the raw GRDB
/// baseline on fresh files, then measures the rows in alternating rounds.
struct BenchRun: Sendable {
    var rounds: Int
    var ops: Int
    var warmMs: Double
    var directory: String?

    static let tokenBytes = 256

    /// Runs the whole benchmark. Nonisolated, so the vault's async calls inside the loops run
    /// on this task's executor without a hop per call.
    func run() async throws -> BenchReport {
        let dir = try directory ?? makeTempDirectory()
        let ownsDir = directory == nil
        defer { if ownsDir { try? FileManager.default.removeItem(atPath: dir) } }

        let logger = Logger(label: "coffer.vault-bench") { _ in SwiftLogNoOpLogHandler() }
        let store = try SQLiteStore(path: dir + "/vault.db", logger: logger)
        let vault = Vault(store: store, kek: try LocalKEK(SymmetricKey.generate()), logger: logger)
        try await vault.createWorkspace("bench")
        let scope = try vault.workspace("bench")
        let raw = try RawBaseline(path: dir + "/raw.db")
        let rawStore = try RawStoreSchema(path: dir + "/raw-store-schema.db")

        var rng = SystemRandomNumberGenerator()
        let token = SecretBytes((0..<Self.tokenBytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
        // The raw side stores a blob of the size the vault stores: a real sealed token.
        let blob = try EnvelopeKey(SymmetricKey.generate(), id: 1)
            .seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))
        precondition(blob.count == Self.tokenBytes + CiphertextHeader.overhead)

        var rawInsert = Samples(name: "raw GRDB insert (pool.write)")
        var rawStorePut = Samples(name: "raw GRDB put, store's SQL and schema")
        var vaultPut = Samples(name: "vault put (WorkspaceScope.put)")
        var rawRead = Samples(name: "raw GRDB select (pool.read)")
        var rawUnsafe = Samples(name: "raw GRDB select (pool.unsafeRead)")
        var rawConn = Samples(name: "raw GRDB select (one DatabaseQueue)")
        var vaultGet = Samples(name: "vault get, warm DEK (WorkspaceScope.get)")
        var warm = Samples(name: "vault warm get, 1 task (ns/get)")
        var putCPURatios: [Double] = [], getCPURatios: [Double] = []
        var putRatios: [Double] = [], putSchemaRatios: [Double] = [], getRatios: [Double] = [], getRatiosStrict: [Double] = []
        var allNames: [String] = []

        // Warm-up round (not recorded): statement caches, page caches, DEK cache.
        for i in 0..<min(ops, 200) {
            try raw.insert(name: "warmup/\(i)", blob: blob)
            try rawStore.put(name: "warmup/\(i)", blob: blob, now: 1)
            try await scope.put("warmup/\(i)", value: token)
            _ = try raw.selectRead(name: "warmup/\(i)")
            _ = try raw.selectUnsafeRead(name: "warmup/\(i)")
            _ = try raw.selectConnection(name: "warmup/\(i)")
            _ = try await scope.get("warmup/\(i)")
        }

        var sink = 0
        for round in 0..<rounds {
            let names = (0..<ops).map { "bench/r\(round)/token-\($0)" }
            allNames += names
            // Puts: the three rows rotate their order between rounds.
            var tp = [Double](repeating: 0, count: 3), cp = tp
            for k in 0..<3 {
                let side = (k + round) % 3
                let c0 = Samples.cpuNow()
                let t0 = Samples.now()
                switch side {
                case 0: for n in names { try raw.insert(name: n, blob: blob) }
                case 1: for n in names { try rawStore.put(name: n, blob: blob, now: 1_800_000_000_000_000) }
                default: for n in names { try await scope.put(n, value: token) }
                }
                tp[side] = (Samples.now() - t0) / Double(ops)
                cp[side] = (Samples.cpuNow() - c0) / Double(ops)
            }
            rawInsert.record(tp[0], cpu: cp[0])
            rawStorePut.record(tp[1], cpu: cp[1])
            vaultPut.record(tp[2], cpu: cp[2])
            putRatios.append(tp[2] / tp[0])
            putSchemaRatios.append(tp[2] / tp[1])
            putCPURatios.append(cp[2] / cp[0])

            // Gets: the same shuffled names for every row; order rotates between rounds.
            let order = names.shuffled()
            var t = [Double](repeating: 0, count: 4), c = t
            for k in 0..<4 {
                let side = (k + round) % 4
                let c0 = Samples.cpuNow()
                let t0 = Samples.now()
                switch side {
                case 0: for n in order { sink &+= try raw.selectRead(name: n) }
                case 1: for n in order { sink &+= try raw.selectUnsafeRead(name: n) }
                case 2: for n in order { sink &+= try raw.selectConnection(name: n) }
                default: for n in order { sink &+= try await scope.get(n).value.count }
                }
                t[side] = (Samples.now() - t0) / Double(ops)
                c[side] = (Samples.cpuNow() - c0) / Double(ops)
            }
            rawRead.record(t[0], cpu: c[0])
            rawUnsafe.record(t[1], cpu: c[1])
            rawConn.record(t[2], cpu: c[2])
            vaultGet.record(t[3], cpu: c[3])
            getCPURatios.append(c[3] / c[0])
            getRatios.append(t[3] / t[0])
            getRatiosStrict.append(t[3] / Swift.min(t[0], t[1], t[2]))

            // Warm-get throughput: one task, cycling over every name written so far.
            var count = 0
            let c0 = Samples.cpuNow()
            let w0 = Samples.now()
            let deadline = w0 + warmMs * 1e6
            var i = round * 7919 % allNames.count
            repeat {
                for _ in 0..<256 {
                    sink &+= try await scope.get(allNames[i]).value.count
                    i += 1
                    if i == allNames.count { i = 0 }
                }
                count += 256
            } while Samples.now() < deadline
            warm.record((Samples.now() - w0) / Double(count), cpu: (Samples.cpuNow() - c0) / Double(count))
            // Commit the buffered audit records of this round's gets (about one per get) before
            // the next round's puts are timed, so those measure puts, not this backlog.
            try await vault.flushAudit()
        }
        precondition(sink != 42)

        return BenchReport(
            rounds: rounds, ops: ops, warmMs: warmMs,
            rows: [rawInsert, rawStorePut, vaultPut, rawRead, rawUnsafe, rawConn, vaultGet, warm],
            putRatio: Samples.median(putRatios), putSchemaRatio: Samples.median(putSchemaRatios), getRatio: Samples.median(getRatios),
            getRatioStrict: Samples.median(getRatiosStrict),
            putCPURatio: Samples.median(putCPURatios), getCPURatio: Samples.median(getCPURatios),
            warmGetsPerSecond: 1e9 / warm.median, warmGetsPerCPUSecond: 1e9 / Samples.median(warm.cpu))
    }

    private func makeTempDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/coffer-vault-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
