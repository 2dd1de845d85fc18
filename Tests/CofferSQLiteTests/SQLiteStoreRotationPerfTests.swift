import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Testing

/// Throughput of the re-encryption and rewrap paths, without crypto. Opt-in (slow):
/// `COFFER_PERF=1 [COFFER_PERF_ROWS=200000] swift test -c release --filter RotationPerf`.
@Suite("SQLiteStore rotation performance", .enabled(if: ProcessInfo.processInfo.environment["COFFER_PERF"] != nil))
struct SQLiteStoreRotationPerfTests {
    typealias S = StoreTestSupport

    static var rows: Int { Int(ProcessInfo.processInfo.environment["COFFER_PERF_ROWS"] ?? "") ?? 200_000 }

    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
        return kb / 1024
    }

    @Test func pageAndReplaceThroughput() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/perf.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "w")
        let n = Self.rows
        // Bulk-load n secrets of 256 bytes under data key 1 (bypassing put for speed).
        try await DatabasePool(path: path).write { db in
            let secret = try db.makeStatement(sql: "INSERT INTO secrets VALUES ('w', ?, 1)")
            let version = try db.makeStatement(sql: """
                INSERT INTO secret_versions (workspace_id, name, version, dek_version, ciphertext, kind, created_at)
                VALUES ('w', ?, 1, 1, ?, 'raw', 0)
                """)
            let blob = Data(repeating: 0xAB, count: 256)
            for i in 0..<n {
                let name = String(format: "app/secret-%08d", (i &* 7_919) % n)
                try secret.execute(arguments: [name])
                try version.execute(arguments: [name, blob])
            }
        }
        let next = DataKeyRecord(
            workspace: "w", version: 2,
            wrapped: WrappedDataKey(kekID: try KEKIdentifier(bytes: Array(repeating: 7, count: 16)), ciphertext: [1]),
            createdAt: Date())
        #expect(try await store.rotateDataKey(next, expectedPrimary: 1))

        let start = ContinuousClock.now
        var cursor: SecretVersionCursor?
        var replaced = 0
        let batch = 2_000
        let fresh = [UInt8](repeating: 0xCD, count: 256)
        while true {
            let page = try await store.secretVersions(workspace: "w", sealedUnder: [1], after: cursor, limit: batch)
            if page.isEmpty { break }
            let replacements = page.map {
                CiphertextReplacement(name: $0.info.name, version: $0.info.version, expectedDataKeyVersion: 1,
                                      newDataKeyVersion: 2, ciphertext: fresh)
            }
            replaced += try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: UInt64(n) + 1)
            let last = page[page.count - 1].info
            cursor = SecretVersionCursor(name: last.name, version: last.version)
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        #expect(replaced == n)
        #expect(try await store.dataKeyUsage(workspace: "w") == [DataKeyUsage(dataKeyVersion: 2, liveSecretVersions: n, deletedSecretVersions: 0)])
        #expect(try await store.dataKeys(workspace: "w").last?.encryptionCount == UInt64(n))
        print("PERF page+replace: \(n) rows in \(String(format: "%.2f", seconds)) s = \(Int(Double(n) / seconds)) rows/s; peak RSS \(Int(Self.peakRSSMegabytes())) MB")
    }

    @Test func rewrapThroughput() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/perf.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        let oldKEK = try KEKIdentifier(bytes: Array(repeating: 7, count: 16))
        let newKEK = try KEKIdentifier(bytes: Array(repeating: 8, count: 16))
        let workspaces = 10_000
        try await DatabasePool(path: path).write { db in
            let ws = try db.makeStatement(sql: "INSERT INTO workspaces (id, created_at, primary_dek_version, last_dek_version) VALUES (?, 0, 1, 1)")
            let key = try db.makeStatement(sql: "INSERT INTO data_keys (workspace_id, version, kek_id, wrapped, created_at) VALUES (?, 1, ?, ?, 0)")
            let wrapped = Data(repeating: 0x11, count: 60)
            for i in 0..<workspaces {
                let id = String(format: "tenant-%05d", i)
                try ws.execute(arguments: [id])
                try key.execute(arguments: [id, oldKEK.description, wrapped])
            }
        }
        let start = ContinuousClock.now
        var applied = 0
        let rewrapped = WrappedDataKey(kekID: newKEK, ciphertext: [UInt8](repeating: 0x22, count: 60))
        while true {
            let keys = try await store.dataKeys(notWrappedBy: newKEK, limit: 1_000)
            if keys.isEmpty { break }
            applied += try await store.rewrapDataKeys(keys.map {
                DataKeyRewrap(workspace: $0.workspace, version: $0.version, expectedKEKID: $0.wrapped.kekID, wrapped: rewrapped)
            })
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(applied == workspaces)
        #expect(try await store.dataKeyCountByKEK() == [newKEK: workspaces])
        print("PERF rewrap: \(workspaces) data keys in \(String(format: "%.3f", seconds)) s = \(Int(Double(workspaces) / seconds)) keys/s")
    }
}
