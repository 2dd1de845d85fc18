import Foundation
import GRDB
import Testing

/// Workspace soft delete / undelete, crypto-shredding with its receipt (also against rows put
/// back from a backup) and the retention job `coffer purge`, as real `coffer` processes on a
/// real SQLite vault.
@Suite struct LifecycleCLITests {
    typealias Env = VaultCLITests.Env

    let value = "lifecycle-secret-value-7f3a"

    @Test func deleteUndeleteAndWorkspaceListState() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data(value.utf8)).status == 0)

        let delete = try e.run(["workspace", "delete"], ["acme"])
        #expect(delete.status == 0, "stderr: \(delete.stderr)")
        let get = try e.run(["get"], ["acme", "tok"])
        #expect(get.status == 66, "stderr: \(get.stderr)")
        #expect(get.stderr.contains("coffer workspace undelete"))
        #expect(get.stdout.isEmpty)
        let put = try e.run(["put"], ["acme", "other"], stdin: Data("x".utf8))
        #expect(put.status == 66, "a deleted workspace takes no writes; stderr: \(put.stderr)")

        var states = try Self.workspaceStates(e)
        #expect(states["acme"]?.deleted == true)
        #expect(states["acme"]?.shredded == false)
        #expect(states["globex"]?.deleted == false)
        let text = try e.run(["workspace", "list"])
        #expect(text.stdoutText.contains("deleted"))

        let again = try e.run(["workspace", "delete"], ["acme", "--json"])
        #expect(again.status == 0)
        #expect((try Self.object(again))["changed"] as? String == "false")

        let undelete = try e.run(["workspace", "undelete"], ["acme"])
        #expect(undelete.status == 0, "stderr: \(undelete.stderr)")
        let restored = try e.run(["get"], ["acme", "tok"])
        #expect(restored.status == 0, "stderr: \(restored.stderr)")
        #expect(restored.stdoutText == value)
        states = try Self.workspaceStates(e)
        #expect(states["acme"]?.deleted == false)
        #expect(try e.run(["put"], ["acme", "other"], stdin: Data("x".utf8)).status == 0)

        let missing = try e.run(["workspace", "delete"], ["nope"])
        #expect(missing.status == 66)
    }

    @Test func shredNeedsNowAndConfirmation() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data(value.utf8)).status == 0)
        let before = try e.storeBytes()
        for rest in [["acme"], ["acme", "--confirm", "acme"], ["acme", "--now"], ["acme", "--now", "--confirm", "acm"],
                     ["acme", "--now", "--confirm", "globex"]] {
            let r = try e.run(["workspace", "shred"], rest + ["--receipt", e.cli.path("receipt.json")])
            #expect(r.status == 64, "\(rest): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        let noNow = try e.run(["workspace", "shred"], ["acme"])
        #expect(noNow.stderr.contains("--now --confirm acme"))
        #expect(try e.storeBytes() == before)
        #expect(!FileManager.default.fileExists(atPath: e.cli.path("receipt.json")))
        #expect(try e.run(["get"], ["acme", "tok"]).stdoutText == value)
    }

    @Test func shredPrintsAndWritesAReceiptMatchingTheAuditHead() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        for (name, v) in [("a", "1"), ("a", "2"), ("b", "3")] {
            #expect(try e.run(["put"], ["acme", name], stdin: Data((value + v).utf8)).status == 0)
        }
        #expect(try e.run(["rotate"], ["acme"]).status == 0)
        #expect(try e.run(["put"], ["acme", "c"], stdin: Data(value.utf8)).status == 0)
        #expect(try e.run(["put"], ["globex", "g"], stdin: Data("globex-value".utf8)).status == 0)

        let receiptPath = e.cli.path("acme-shred.json")
        let shred = try e.run(["workspace", "shred"], ["acme", "--now", "--confirm", "acme", "--receipt", receiptPath])
        #expect(shred.status == 0, "stderr: \(shred.stderr)")
        let receipt = try Self.object(shred)
        #expect(receipt["format"] as? String == "coffer-shred-receipt/v1")
        #expect(receipt["workspace"] as? String == "acme")
        #expect((receipt["dataKeyVersionsDestroyed"] as? [Int]) == [1, 2])
        #expect(receipt["secretVersionsUnreadable"] as? Int == 4)
        #expect((receipt["kekIDs"] as? [String])?.count == 1)
        #expect(!shred.stdoutText.contains(value))

        let file = try Data(contentsOf: URL(fileURLWithPath: receiptPath))
        #expect(file == shred.stdout)
        let mode = try FileManager.default.attributesOfItem(atPath: receiptPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let verify = try e.run(["audit", "verify"], ["--json"])
        #expect(verify.status == 0, "stderr: \(verify.stderr)")
        let head = try #require(try Self.object(verify)["head"] as? [String: Any])
        let sequence = try #require(receipt["auditSequence"] as? Int)
        #expect(head["sequence"] as? Int == sequence)
        #expect(head["mac"] as? String == receipt["auditChainHead"] as? String)
        let audit = try e.run(["audit", "list"], ["--json", "--after", "\(sequence - 1)"])
        let shredRecord = try #require((try JSONSerialization.jsonObject(with: audit.stdout) as? [[String: Any]])?.first)
        #expect(shredRecord["action"] as? String == "workspace.shred")
        #expect(shredRecord["workspace"] as? String == "acme")
        #expect(shredRecord["mac"] as? String == receipt["auditChainHead"] as? String)

        let get = try e.run(["get"], ["acme", "a"])
        #expect(get.status == 66, "stderr: \(get.stderr)")
        #expect(get.stdout.isEmpty)
        let recreate = try e.run(["workspace", "create"], ["acme"])
        #expect(recreate.status != 0)
        let again = try e.run(["workspace", "shred"], ["acme", "--now", "--confirm", "acme", "--receipt", receiptPath])
        #expect(again.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: receiptPath)) == file)
        #expect(try Self.workspaceStates(e)["acme"]?.shredded == true)
        // The other tenant is untouched.
        #expect(try e.run(["get"], ["globex", "g"]).stdoutText == "globex-value")
        let rows = try e.storeBytes()
        #expect(!rows.contains { $0.hasPrefix("secret_versions:") && $0.contains("\"acme\"") })
        #expect(!rows.contains { $0.hasPrefix("data_keys:") && $0.contains("\"acme\"") })
    }

    @Test func rowsPutBackFromABackupDoNotOpenAfterAShred() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data(value.utf8)).status == 0)
        #expect(try e.run(["put"], ["acme", "tok2"], stdin: Data((value + "2").utf8)).status == 0)
        let backup = e.cli.path("backup.db")
        do {
            let db = try DatabaseQueue(path: e.store)
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try db.close()
        }
        try FileManager.default.copyItem(atPath: e.store, toPath: backup)

        let shred = try e.run(["workspace", "shred"], ["acme", "--now", "--confirm", "acme"])
        #expect(shred.status == 0, "stderr: \(shred.stderr)")

        do {
            let db = try DatabaseQueue(path: e.store)
            try db.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS bak", arguments: [backup])
                try db.inTransaction {
                    for table in ["data_keys", "secrets", "secret_versions"] {
                        try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM bak.\(table) WHERE workspace_id = 'acme'")
                    }
                    try db.execute(sql: "UPDATE main.workspaces SET shredded_at = NULL, deleted_at = NULL WHERE id = 'acme'")
                    return .commit
                }
                try db.execute(sql: "DETACH DATABASE bak")
                let restored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM secret_versions WHERE workspace_id = 'acme'")
                #expect(restored == 2)
            }
            try db.close()
        }
        for name in ["tok", "tok2"] {
            let get = try e.run(["get"], ["acme", name])
            #expect(get.status == 77 || get.status == 66, "\(name): status \(get.status), stderr: \(get.stderr)")
            #expect(!get.stdoutText.contains(value))
            #expect(!get.stderr.contains(value))
        }
        let export = try e.run(["export"], ["acme", "--format", "json", "--plaintext"])
        #expect(export.status != 0)
        #expect(!export.stdoutText.contains(value))
    }

    @Test func purgeRemovesDeletedVersionsPastGraceAndIsIdempotent() throws {
        let e = try Env().initialised()
        for i in 1...4 { #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("v\(i)".utf8)).status == 0) }
        #expect(try e.run(["put"], ["acme", "gone"], stdin: Data("g1".utf8)).status == 0)
        #expect(try e.run(["delete"], ["acme", "tok", "--version", "1"]).status == 0)
        #expect(try e.run(["delete"], ["acme", "tok", "--version", "3"]).status == 0)
        #expect(try e.run(["delete"], ["acme", "gone"]).status == 0)

        // The default grace is 30 days: a fresh deletion stays (and can be undeleted).
        let early = try e.run(["purge"], ["--json"])
        #expect(early.status == 0, "stderr: \(early.stderr)")
        #expect(try Self.object(early)["secretVersionsPurged"] as? Int == 0)
        #expect(try Self.historyVersions(e, "tok") == [1, 2, 3, 4])

        let zero = ["COFFER_DELETION_GRACE": "0s"]
        let purge = try e.run(["purge"], ["--json"], env: zero)
        #expect(purge.status == 0, "stderr: \(purge.stderr)")
        #expect(try Self.object(purge)["secretVersionsPurged"] as? Int == 3)
        #expect(try Self.historyVersions(e, "tok") == [2, 4])
        #expect(try e.run(["get"], ["acme", "tok", "--version", "2"]).stdoutText == "v2")
        #expect(try e.run(["get"], ["acme", "tok"]).stdoutText == "v4")
        // A purged version is gone for good: undelete and get both say it does not exist.
        #expect(try e.run(["undelete"], ["acme", "tok", "--version", "1"]).status == 66)
        #expect(try e.run(["get"], ["acme", "tok", "--version", "1"]).status == 66)
        #expect(try e.run(["get"], ["acme", "gone"]).status == 66)

        let second = try e.run(["purge"], ["--json"], env: zero)
        #expect(second.status == 0)
        #expect(try Self.object(second)["secretVersionsPurged"] as? Int == 0)
        let text = try e.run(["purge"], [], env: zero)
        #expect(text.stdoutText.contains("purged 0 secret version(s)"))
        // A new version number never reuses a purged one.
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("v5".utf8)).stdoutText == "5\n")
        let badGrace = try e.run(["purge"], [], env: ["COFFER_DELETION_GRACE": "soon"])
        #expect(badGrace.status == 64)
    }

    @Test func twoConcurrentPurgesRemoveEachVersionOnce() async throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        var deleted = 0
        for ws in ["acme", "globex"] {
            for i in 0..<6 {
                #expect(try e.run(["put"], [ws, "s\(i)"], stdin: Data("v".utf8)).status == 0)
                #expect(try e.run(["put"], [ws, "s\(i)"], stdin: Data("w".utf8)).status == 0)
                #expect(try e.run(["delete"], [ws, "s\(i)"]).status == 0)
                deleted += 2
            }
        }
        let zero = ["COFFER_DELETION_GRACE": "0s"]
        async let first = Task.detached { try e.run(["purge"], ["--json", "--batch", "1"], env: zero) }.value
        async let second = Task.detached { try e.run(["purge"], ["--json", "--batch", "1"], env: zero) }.value
        let results = try await [first, second]
        var total = 0
        for r in results {
            #expect(r.status == 0, "stderr: \(r.stderr)")
            total += try #require(try Self.object(r)["secretVersionsPurged"] as? Int)
        }
        #expect(total == deleted)
        let rows = try e.storeBytes()
        #expect(!rows.contains { $0.hasPrefix("secret_versions:") })
        let verify = try e.run(["audit", "verify"])
        #expect(verify.status == 0, "stderr: \(verify.stderr)")
    }

    @Test func purgeShredsWorkspacesDeletedPastGrace() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data(value.utf8)).status == 0)
        #expect(try e.run(["put"], ["globex", "tok"], stdin: Data("globex".utf8)).status == 0)
        #expect(try e.run(["workspace", "delete"], ["acme"]).status == 0)
        let early = try e.run(["purge"], ["--json"])
        #expect((try Self.object(early)["workspacesShredded"] as? [Any])?.isEmpty == true)
        let purge = try e.run(["purge"], ["--json"], env: ["COFFER_DELETION_GRACE": "0s"])
        #expect(purge.status == 0, "stderr: \(purge.stderr)")
        let shredded = try #require(try Self.object(purge)["workspacesShredded"] as? [[String: Any]])
        #expect(shredded.compactMap { $0["workspace"] as? String } == ["acme"])
        #expect(shredded.first?["secretVersionsUnreadable"] as? Int == 1)
        #expect(try Self.workspaceStates(e)["acme"]?.shredded == true)
        #expect(try e.run(["workspace", "undelete"], ["acme"]).status != 0)
        #expect(try e.run(["get"], ["globex", "tok"]).stdoutText == "globex")
    }

    // MARK: Helpers

    static func object(_ r: CLIRunner.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any], "stdout: \(r.stdoutText) stderr: \(r.stderr)")
    }

    static func workspaceStates(_ e: Env) throws -> [String: (deleted: Bool, shredded: Bool)] {
        let r = try e.run(["workspace", "list"], ["--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
        var out: [String: (deleted: Bool, shredded: Bool)] = [:]
        for w in all {
            guard let id = w["id"] as? String else { continue }
            out[id] = (w["deletedAt"] != nil, w["shreddedAt"] != nil)
        }
        return out
    }

    static func historyVersions(_ e: Env, _ name: String, workspace: String = "acme") throws -> [Int] {
        let r = try e.run(["history"], [workspace, name, "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: r.stdout) as? [[String: Any]])
        return all.compactMap { $0["version"] as? Int }.sorted()
    }
}
