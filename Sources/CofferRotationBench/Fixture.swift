import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Logging

/// The benchmark vault: one workspace (`bench`) on a SQLite file, its KEK kept next to the
/// database (`PATH.kek`, base64, mode 0600 — a throwaway key made for the benchmark), and
/// deterministic names and values so a later process can check what it reads.
enum Fixture {
    /// The id of bench workspace `i`: `tenant-00042`.
    static func workspaceID(_ i: Int) -> String { "tenant-" + String(format: "%05d", i) }

    /// Creates workspaces 0..<`count` (``workspaceID(_:)``) under `kek`, with a fresh vault per
    /// 1,000: a vault's data-key cache keeps every key it created, and each cached key holds
    /// sodium_malloc'd memory (guard pages: several memory mappings), so one vault creating
    /// ~10,000 workspaces exhausts vm.max_map_count and sodium_malloc fails (seen here;
    /// reported in BENCHMARKS.md).
    static func createWorkspaces(_ count: Int, in store: SQLiteStore, kek: LocalKEK) async throws {
        for chunk in stride(from: 0, to: count, by: 1_000) {
            let creator = Vault(store: store, kek: kek, logger: logger)
            for i in chunk..<min(count, chunk + 1_000) { try await creator.createWorkspace(workspaceID(i)) }
        }
    }

    /// Times `vault.rotateKEK(to:batchSize:)` (wall and process CPU seconds, load before) and
    /// checks that it re-wrapped exactly `expected` data keys and finished.
    static func timedRotation(
        _ vault: Vault, to newKEK: any KeyEncryptionKeyProvider, batchSize: Int, expected: Int
    ) async throws -> (seconds: Double, cpu: Double, load: Double, report: KEKRotationProgress) {
        let load = Measure.loadAverage()
        let c0 = Measure.cpu()
        let t0 = Measure.now()
        let report = try await vault.rotateKEK(to: newKEK, batchSize: batchSize)
        let seconds = Measure.now() - t0
        let cpu = Measure.cpu() - c0
        guard report.finished, report.rewrapped == expected else {
            throw BenchError("KEK rotation report: \(report.rewrapped) of \(expected) re-wrapped, finished \(report.finished)")
        }
        return (seconds, cpu, load, report)
    }

    static let workspace = "bench"
    static let valueBytes = 256

    static let logger = Logger(label: "coffer.rotation-bench") { _ in SwiftLogNoOpLogHandler() }

    /// Name of secret `i` (fixed width, so name order is index order).
    static func name(_ i: Int) -> String {
        let digits = String(i)
        return "app/secret-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The 256-byte value of secret `i`: a SplitMix64 stream seeded by `i`.
    static func value(_ i: Int) -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15 ^ 0xC0FF_EE00_0000_0001
        var out = [UInt8]()
        out.reserveCapacity(valueBytes)
        while out.count < valueBytes {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func kekPath(_ db: String) -> String { db + ".kek" }

    /// Writes a fresh KEK for the benchmark vault at `kekPath(db)` (mode 0600).
    static func makeKEK(_ db: String) throws -> LocalKEK {
        let key = SymmetricKey.generate()
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
        let path = kekPath(db)
        guard FileManager.default.createFile(
            atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BenchError("cannot write \(path)")
        }
        return try LocalKEK(key, displayName: "bench")
    }

    /// The KEK written by ``makeKEK(_:)``.
    static func loadKEK(_ db: String) throws -> LocalKEK {
        let text = try String(contentsOfFile: kekPath(db), encoding: .utf8)
        return try LocalKEK(SymmetricKey(base64: text.trimmingCharacters(in: .whitespacesAndNewlines)), displayName: "bench")
    }

    /// Builds the benchmark vault at `db` (which must not exist): workspace `bench` created
    /// through the vault (data key v1 wrapped by the KEK), then `rows` secrets of 256 bytes,
    /// each exactly the rows `WorkspaceScope.put` writes for a first version — a `secrets` row
    /// with `last_version` 1 and a `secret_versions` row (kind raw, no labels) whose value is
    /// sealed by the real `EnvelopeKey` of data key v1 with the secret's context — inserted
    /// `chunk` rows per transaction, in name order. The data key's encryption count is set to
    /// `rows`, as the puts would have left it. Finally opens a sample through the vault.
    static func populate(db: String, rows: Int, chunk: Int = 50_000) async throws {
        guard !FileManager.default.fileExists(atPath: db) else { throw BenchError("\(db) exists; populate needs a new path") }
        let kek = try makeKEK(db)
        let store = try SQLiteStore(path: db, logger: logger)
        let vault = Vault(store: store, kek: kek, logger: logger)
        try await vault.createWorkspace(workspace)
        guard let record = try await store.dataKeys(workspace: workspace).first, record.version == 1 else {
            throw BenchError("workspace has no data key v1")
        }
        let key = try EnvelopeKey(kek.unwrap(record.wrapped, workspace: workspace, dataKeyVersion: 1), id: 1)
        let createdAt = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())

        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(5)
        let pool = try DatabasePool(path: db, configuration: config)
        var start = 0
        while start < rows {
            let range = start..<min(rows, start + chunk)
            try await pool.write { db in
                let secret = try db.cachedStatement(sql: "INSERT INTO secrets (workspace_id, name, last_version) VALUES (?, ?, 1)")
                let version = try db.cachedStatement(sql: """
                    INSERT INTO secret_versions
                        (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
                    VALUES (?, ?, 1, 1, ?, 'raw', NULL, '{}', NULL, ?)
                    """)
                for i in range {
                    let name = Self.name(i)
                    let sealed = try key.seal(value(i), context: .secret(workspace: workspace, name: name, version: 1))
                    try secret.execute(arguments: [workspace, name])
                    try version.execute(arguments: [workspace, name, Data(sealed), createdAt])
                }
            }
            start = range.upperBound
        }
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE data_keys SET encryption_count = ? WHERE workspace_id = ? AND version = 1",
                arguments: [rows, workspace])
        }
        try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }

        // The rows open through the vault like put's would.
        let scope = try vault.workspace(workspace)
        for i in sample(rows: rows, count: 100) {
            let secret = try await scope.get(name(i))
            guard secret.value.unprotectedArray() == value(i), secret.info.dataKeyVersion == 1 else {
                throw BenchError("populated secret \(i) does not read back")
            }
        }
    }

    /// Kept secret versions of the benchmark workspace, counted on the
    /// `secret_versions_dek` index through a separate read-only connection.
    static func countRows(db: String) throws -> Int {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: db, configuration: config).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM secret_versions WHERE workspace_id = ?", arguments: [workspace]) ?? 0
        }
    }

    /// `count` indices spread over `0..<rows` (first and last included), deterministic.
    static func sample(rows: Int, count: Int) -> [Int] {
        guard rows > 0 else { return [] }
        var rng = SplitMix(seed: UInt64(rows))
        var picks: Set<Int> = [0, rows - 1]
        while picks.count < min(count, rows) { picks.insert(Int(rng.next() % UInt64(rows))) }
        return picks.sorted()
    }
}

/// A tiny deterministic generator for the verification sample.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A benchmark failure (a message without any value or key).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
