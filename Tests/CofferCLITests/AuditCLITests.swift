import Foundation
import GRDB
import Testing

/// `coffer audit list` and `coffer audit verify` as real processes: what is recorded (and that
/// no value is), and that every kind of tampering with the SQLite `audit_log` table is caught
/// at the first record affected.
@Suite struct AuditCLITests {
    typealias Env = VaultCLITests.Env

    let value = "audit-secret-value-9c1e"

    @Test func listRecordsActionsOutcomesAndActorsButNoValues() throws {
        let e = try Env().initialised()
        let put = try e.run(["put"], ["acme", "db/password", "--actor", "ops:alice"], stdin: Data(value.utf8))
        #expect(put.status == 0, "stderr: \(put.stderr)")
        let get = try e.run(["get"], ["acme", "db/password"], env: ["COFFER_ACTOR": "svc-billing"])
        #expect(get.stdoutText == value)
        let both = try e.run(["get"], ["acme", "db/password", "--actor", "ops:bob"], env: ["COFFER_ACTOR": "svc-billing"])
        #expect(both.status == 0)
        #expect(try e.run(["delete"], ["acme", "db/password", "--version", "1", "--actor", "ops:alice"]).status == 0)
        let missing = try e.run(["get"], ["acme", "no/such", "--actor", "ops:carol"])
        #expect(missing.status == 66)
        let deletedGet = try e.run(["get"], ["acme", "db/password", "--version", "1", "--actor", "ops:carol"])
        #expect(deletedGet.status == 66)

        let list = try e.run(["audit", "list"], ["--json"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        let records = try #require(try JSONSerialization.jsonObject(with: list.stdout) as? [[String: Any]])
        let sequences = records.compactMap { $0["sequence"] as? Int }
        #expect(sequences == Array(1...sequences.count), "gapless, oldest first")

        func find(_ action: String, _ actor: String) -> [String: Any]? {
            records.first { $0["action"] as? String == action && $0["actor"] as? String == actor }
        }
        let putRecord = try #require(find("put", "ops:alice"))
        #expect(putRecord["outcome"] as? String == "success")
        #expect(putRecord["workspace"] as? String == "acme")
        #expect(putRecord["name"] as? String == "db/password")
        #expect(putRecord["version"] as? Int == 1)
        let envGet = try #require(find("get", "svc-billing"))
        #expect(envGet["outcome"] as? String == "success")
        #expect(envGet["version"] as? Int == 1)
        #expect(find("get", "ops:bob")?["outcome"] as? String == "success", "--actor wins over COFFER_ACTOR")
        let delete = try #require(find("delete", "ops:alice"))
        #expect(delete["version"] as? Int == 1)
        let failed = records.filter { $0["actor"] as? String == "ops:carol" && $0["action"] as? String == "get" }
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0["outcome"] as? String == "not-found" })
        #expect(failed.contains { $0["name"] as? String == "no/such" })
        let defaultActor = try #require(records.first { $0["action"] as? String == "workspace.create" })
        #expect((defaultActor["actor"] as? String)?.hasPrefix("cli:") == true)
        #expect(records.allSatisfy { ($0["mac"] as? String)?.count == 64 })

        // Filters.
        let filtered = try e.run(["audit", "list"], ["--json", "--workspace", "acme", "--after", "2", "--limit", "2"])
        let page = try #require(try JSONSerialization.jsonObject(with: filtered.stdout) as? [[String: Any]])
        #expect(page.compactMap { $0["sequence"] as? Int }.allSatisfy { $0 > 2 })
        #expect(page.count == 2)
        let future = try e.run(["audit", "list"], ["--json", "--since", "2999-01-01T00:00:00Z"])
        #expect((try JSONSerialization.jsonObject(with: future.stdout) as? [Any])?.isEmpty == true)
        #expect(try e.run(["audit", "list"], ["--since", "yesterday"]).status == 64)

        // No value anywhere: list output (JSON and text), verify output, the audit table.
        let text = try e.run(["audit", "list"])
        #expect(text.stdoutText.contains("ops:alice"))
        for output in [list.stdoutText, text.stdoutText, try e.run(["audit", "verify"]).stdoutText] {
            #expect(!output.contains(value))
        }
        let needle = Data(value.utf8)
        let db = try DatabaseQueue(path: e.store, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let cells: [DatabaseValue] = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log").flatMap { row in row.databaseValues }
        }
        #expect(cells.count >= records.count)
        for cell in cells {
            switch cell.storage {
            case .string(let s): #expect(!s.contains(value))
            case .blob(let b): #expect(b.range(of: needle) == nil)
            default: break
            }
        }
    }

    @Test func verifyIsIntactOnAFreshLog() throws {
        let e = try Env().initialised()
        let r = try e.run(["audit", "verify"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("intact"))
        _ = try Self.busyLog(e)
        let json = try e.run(["audit", "verify"], ["--json"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        #expect(result["firstBroken"] == nil)
        #expect((result["recordsChecked"] as? Int ?? 0) >= 8)
    }

    enum Tamper: String, CaseIterable, CustomStringConvertible {
        case editField, deleteMiddle, reorder, insertRenumbered, truncateTail
        var description: String { rawValue }
    }

    @Test(arguments: Tamper.allCases)
    func verifyNamesTheFirstBrokenRecord(_ tamper: Tamper) throws {
        let e = try Env().initialised()
        let last = try Self.busyLog(e)
        #expect(last >= 8)
        let target = 4
        let db = try DatabaseQueue(path: e.store)
        let expected = switch tamper {
        case .editField, .deleteMiddle, .reorder: target
        case .insertRenumbered: target + 1
        case .truncateTail: last - 1
        }
        try db.write { db in
            switch tamper {
            case .editField:
                try db.execute(sql: "UPDATE audit_log SET actor = 'someone-else' WHERE sequence = ?", arguments: [target])
            case .deleteMiddle:
                try db.execute(sql: "DELETE FROM audit_log WHERE sequence = ?", arguments: [target])
            case .reorder:
                // Swap everything but the sequence numbers of records 4 and 5.
                let columns = "time, actor, action, outcome, workspace, name, version, detail, key_version, mac"
                try db.execute(sql: "CREATE TEMP TABLE swap AS SELECT sequence, \(columns) FROM audit_log WHERE sequence IN (?, ?)",
                               arguments: [target, target + 1])
                try db.execute(sql: "DELETE FROM audit_log WHERE sequence IN (?, ?)", arguments: [target, target + 1])
                try db.execute(sql: "INSERT INTO audit_log (sequence, \(columns)) SELECT \(2 * target + 1) - sequence, \(columns) FROM swap")
            case .insertRenumbered:
                // A copy of record 4 inserted after it, every later record renumbered up by one.
                try db.execute(sql: "UPDATE audit_log SET sequence = sequence + 1000000 WHERE sequence > ?", arguments: [target])
                try db.execute(sql: "UPDATE audit_log SET sequence = sequence - 999999 WHERE sequence > 1000000")
                try db.execute(sql: """
                    INSERT INTO audit_log (sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac)
                    SELECT sequence + 1, time, actor, action, outcome, workspace, name, version, detail, key_version, mac
                    FROM audit_log WHERE sequence = ?
                    """, arguments: [target])
            case .truncateTail:
                try db.execute(sql: "DELETE FROM audit_log WHERE sequence > ?", arguments: [last - 2])
            }
        }
        try db.close()

        let verify = try e.run(["audit", "verify"])
        #expect(verify.status == 77, "\(tamper): stdout \(verify.stdoutText) stderr \(verify.stderr)")
        #expect(verify.stderr.contains("audit chain broken at record \(expected)"), "\(tamper): \(verify.stderr)")
        #expect(verify.stdoutText.contains("BROKEN at record \(expected)"))
        let json = try e.run(["audit", "verify"], ["--json"])
        #expect(json.status == 77)
        let result = try #require(try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any])
        let broken = try #require(result["firstBroken"] as? [String: Any])
        #expect(broken["sequence"] as? Int == expected)
    }

    /// Writes a handful of audited operations; returns the last audit sequence number.
    static func busyLog(_ e: Env) throws -> Int {
        for i in 1...3 { #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("v\(i)".utf8)).status == 0) }
        #expect(try e.run(["get"], ["acme", "tok"]).status == 0)
        #expect(try e.run(["put"], ["acme", "other"], stdin: Data("o".utf8)).status == 0)
        #expect(try e.run(["delete"], ["acme", "tok", "--version", "1"]).status == 0)
        #expect(try e.run(["get"], ["acme", "missing"]).status == 66)
        #expect(try e.run(["list"], ["acme"]).status == 0)
        let db = try DatabaseQueue(path: e.store, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? db.close() }
        return try db.read { try Int.fetchOne($0, sql: "SELECT MAX(sequence) FROM audit_log") } ?? 0
    }
}
