import CofferTestSupport
import Foundation
import GRDB
import Testing

/// `coffer audit verify` as a real process against an emptied log and damaged rows, and its
/// JSON re-checked by an independent implementation of docs/FORMAT.md section 10.
@Suite struct AuditIntegrityCLITests {
    typealias Env = VaultCLITests.Env

    /// The KEK bytes of `e`, base64 (its key file's content).
    static func kekBase64(_ e: Env) throws -> String {
        try String(contentsOfFile: String(e.kek.dropFirst("file:".count)), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func verifyJSONCarriesHexMACsAndMicrosecondsThatPythonRechecks() throws {
        let e = try Env().initialised()
        _ = try AuditCLITests.busyLog(e)
        // Purge everything so far behind a checkpoint (records older than 1 s).
        Thread.sleep(forTimeInterval: 1.2)
        let purge = try e.run(["purge"], env: ["COFFER_AUDIT_RETENTION": "1s"])
        #expect(purge.status == 0, "stderr: \(purge.stderr)")
        _ = try AuditCLITests.busyLog(e)

        let verify = try e.run(["audit", "verify"], ["--json"])
        #expect(verify.status == 0, "stderr: \(verify.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: verify.stdout) as? [String: Any])
        #expect(report["intact"] as? Bool == true)
        let head = try #require(report["head"] as? [String: Any])
        let checkpoint = try #require(report["checkpoint"] as? [String: Any], "the purge must have written a checkpoint")
        let isHex = { (v: Any?) in (v as? String).map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() } ?? false }
        #expect(isHex(head["mac"]) && isHex(head["seal"]) && isHex(checkpoint["mac"]) && isHex(checkpoint["seal"]))
        let micros = try #require(checkpoint["createdAtMicros"] as? Int)
        #expect(abs(Double(micros) / 1_000_000 - Date().timeIntervalSince1970) < 600)

        let python = try PythonAuditSeals.compute(report: verify.stdoutText, database: e.store, kekBase64: try Self.kekBase64(e))
        #expect(python.head == head["seal"] as? String, "the head seal recomputed from FORMAT.md section 10")
        #expect(python.checkpoint == checkpoint["seal"] as? String, "the checkpoint seal recomputed from FORMAT.md section 10")
    }

    @Test func anEmptiedLogIsTampering() throws {
        let e = try Env().initialised()
        _ = try AuditCLITests.busyLog(e)
        let db = try DatabaseQueue(path: e.store)
        try db.write { db in try db.execute(sql: "DELETE FROM audit_log; DELETE FROM audit_head") }
        try db.close()
        let verify = try e.run(["audit", "verify"])
        #expect(verify.status == 77, "stdout \(verify.stdoutText) stderr \(verify.stderr)")
        #expect(verify.stderr.contains("audit chain broken at record 1"), "\(verify.stderr)")
        #expect(verify.stderr.contains("emptied"))
    }

    @Test func aDamagedRecordIsTamperingNamingItAndListDoesNotCrash() throws {
        let e = try Env().initialised()
        _ = try AuditCLITests.busyLog(e)
        let db = try DatabaseQueue(path: e.store)
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE audit_log_loose AS SELECT * FROM audit_log;
                DROP TABLE audit_log;
                ALTER TABLE audit_log_loose RENAME TO audit_log;
                UPDATE audit_log SET time = 'yesterday' WHERE sequence = 4;
                """)
        }
        try db.close()
        let verify = try e.run(["audit", "verify"])
        #expect(verify.status == 77, "stdout \(verify.stdoutText) stderr \(verify.stderr)")
        #expect(verify.stderr.contains("audit chain broken at record 4"), "\(verify.stderr)")
        #expect(verify.stderr.contains("audit record 4 is damaged"), "\(verify.stderr)")
        let list = try e.run(["audit", "list"])
        #expect(list.status == 69, "stdout \(list.stdoutText) stderr \(list.stderr)")
        #expect(list.stderr.contains("audit record 4 is damaged"), "\(list.stderr)")
    }
}
