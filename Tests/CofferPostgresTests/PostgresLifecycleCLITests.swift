import CofferTestSupport
import Foundation
import PostgresNIO
import Testing

/// The lifecycle commands of `coffer` end to end on PostgreSQL, as real processes: shred with
/// its receipt, purge (maintenance role), audit verify and a tampered record, and a JSON
/// export from a SQLite vault imported into PostgreSQL.
@Suite("coffer lifecycle CLI on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresLifecycleCLITests {
    typealias Env = PostgresTestEnvironment
    typealias Setup = PostgresCLITests.Setup

    @Test(.timeLimit(.minutes(10)))
    func shredPurgeAuditAndImportFromSQLite() async throws {
        let s = try Setup()
        do {
            try await Self.scenario(s)
        } catch {
            await s.cleanUp()
            throw error
        }
        await s.cleanUp()
    }

    /// `coffer <arguments>` on the PostgreSQL store with extra environment variables.
    static func run(_ s: Setup, _ arguments: [String], maintenance: Bool = false, env extra: [String: String] = [:],
                    stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ["HOME": s.dir.path, "COFFER_STORE": s.app, "COFFER_KEK": "file:\(s.kek)"]
        if maintenance { environment["COFFER_MAINTENANCE_STORE"] = s.maintenance }
        for (k, v) in extra { environment[k] = v }
        let result = try ChildProcess.run(s.binary, arguments, environment: environment, stdin: stdin)
        for password in s.passwords {
            #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "a password was printed by coffer \(arguments.first ?? "")")
        }
        return result
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    static func scenario(_ s: Setup) async throws {
        #expect(try run(s, ["init"], maintenance: true).status == 0)
        for ws in ["acme", "globex"] {
            #expect(try run(s, ["workspace", "create", ws], maintenance: true).status == 0)
        }
        for (ws, name, value) in [("acme", "db/password", "pg-first"), ("acme", "db/password", "pg-second"),
                                  ("globex", "api/key", "globex-pg-1"), ("globex", "api/key", "globex-pg-2")] {
            let put = try run(s, ["put", ws, name, "--actor", "ops:alice"], stdin: Data(value.utf8))
            #expect(put.status == 0, "put \(ws)/\(name): \(put.stderr)")
        }
        #expect(try run(s, ["get", "globex", "api/key"]).stdout == "globex-pg-2")
        let verify = try run(s, ["audit", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("intact"), "stderr: \(verify.stderr)")

        // Purge: the maintenance role is required; with a zero grace the deleted version goes.
        #expect(try run(s, ["delete", "acme", "db/password", "--version", "1"]).status == 0)
        let noMaint = try run(s, ["purge"], env: ["COFFER_DELETION_GRACE": "0s"])
        #expect(noMaint.status == 69 && noMaint.stderr.contains("--maintenance-store"), "stderr: \(noMaint.stderr)")
        let early = try run(s, ["purge", "--json"], maintenance: true)
        #expect(early.status == 0, "stderr: \(early.stderr)")
        #expect(try object(early.stdout)["secretVersionsPurged"] as? Int == 0, "30-day default grace")
        let purge = try run(s, ["purge", "--json"], maintenance: true, env: ["COFFER_DELETION_GRACE": "0s"])
        #expect(purge.status == 0, "stderr: \(purge.stderr)")
        #expect(try object(purge.stdout)["secretVersionsPurged"] as? Int == 1)
        let again = try run(s, ["purge", "--json"], maintenance: true, env: ["COFFER_DELETION_GRACE": "0s"])
        #expect(try object(again.stdout)["secretVersionsPurged"] as? Int == 0)
        let history = try run(s, ["history", "acme", "db/password", "--json"])
        let versions = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["version"] as? Int }
        #expect(versions == [2])
        #expect(try run(s, ["get", "acme", "db/password"]).stdout == "pg-second")

        // Shred with a receipt.
        let refused = try run(s, ["workspace", "shred", "globex", "--now", "--confirm", "acme"])
        #expect(refused.status == 64)
        #expect(try run(s, ["get", "globex", "api/key"]).stdout == "globex-pg-2")
        let receiptPath = s.dir.appendingPathComponent("globex-shred.json").path
        let shred = try run(s, ["workspace", "shred", "globex", "--now", "--confirm", "globex", "--receipt", receiptPath])
        #expect(shred.status == 0, "stderr: \(shred.stderr)")
        let receipt = try object(shred.stdout)
        #expect(receipt["workspace"] as? String == "globex")
        #expect(receipt["dataKeyVersionsDestroyed"] as? [Int] == [1])
        #expect(receipt["secretVersionsUnreadable"] as? Int == 2)
        #expect(try String(contentsOfFile: receiptPath, encoding: .utf8) == shred.stdout)
        #expect(try FileManager.default.attributesOfItem(atPath: receiptPath)[.posixPermissions] as? Int == 0o600)
        let head = try run(s, ["audit", "verify", "--json"])
        #expect(head.status == 0, "stderr: \(head.stderr)")
        let headObject = try #require(try object(head.stdout)["head"] as? [String: Any])
        #expect(headObject["sequence"] as? Int == receipt["auditSequence"] as? Int)
        let mac = headObject["mac"] as? String
        #expect(mac != nil && mac == receipt["auditChainHead"] as? String)
        let gone = try run(s, ["get", "globex", "api/key"])
        #expect(gone.status == 66 && !gone.stdout.contains("globex-pg"), "stderr: \(gone.stderr)")
        #expect(try run(s, ["workspace", "create", "globex"], maintenance: true).status != 0)
        let list = try run(s, ["workspace", "list"], maintenance: true)
        #expect(list.stdout.contains("shredded"))

        // JSON export from a SQLite vault, imported into PostgreSQL.
        let sqlite = s.dir.appendingPathComponent("source.db").path
        let local = ["HOME": s.dir.path, "COFFER_STORE": sqlite, "COFFER_KEK": "file:\(s.kek)"]
        #expect(try ChildProcess.run(s.binary, ["init"], environment: local).status == 0)
        #expect(try ChildProcess.run(s.binary, ["workspace", "create", "src"], environment: local).status == 0)
        let binary = Data([0, 0xFF, 0xFE, 0x0A]) + Data("bin-from-sqlite".utf8)
        let webhook = #"{"secret":"whsec-sqlite","algorithm":"hmac-sha256"}"#
        for (args, value) in [(["src", "bin"], binary), (["src", "hook", "--kind", "webhook-secret", "--label", "team=pay"], Data(webhook.utf8)),
                              (["src", "text", "--expires-at", "2032-01-01T00:00:00Z"], Data("text-from-sqlite".utf8))] {
            let put = try ChildProcess.run(s.binary, ["put"] + args, environment: local, stdin: value)
            #expect(put.status == 0, "stderr: \(put.stderr)")
        }
        let exportPath = s.dir.appendingPathComponent("src.json").path
        let export = try ChildProcess.run(s.binary, ["export", "src", "--format", "json", "--plaintext", "--out", exportPath], environment: local)
        #expect(export.status == 0, "stderr: \(export.stderr)")
        let imported = try run(s, ["import", "moved", "--file", exportPath], maintenance: true)
        #expect(imported.status == 0, "stderr: \(imported.stderr)")
        for name in ["bin", "hook", "text"] {
            let want = try ChildProcess.run(s.binary, ["get", "src", name], environment: local)
            let got = try run(s, ["get", "moved", name])
            #expect(got.status == 0 && got.stdout == want.stdout, "\(name): \(got.stderr)")
        }
        let movedList = try run(s, ["list", "moved", "--json"])
        #expect(movedList.stdout.contains("team") && movedList.stdout.contains("webhook-secret") && movedList.stdout.contains("2032-01-01"))
        let conflict = try run(s, ["import", "moved", "--file", exportPath], maintenance: true)
        #expect(conflict.status == 75, "stderr: \(conflict.stderr)")

        // The audit log, as the application role reads it, holds no value.
        let audit = try run(s, ["audit", "list", "--json"])
        #expect(audit.status == 0, "stderr: \(audit.stderr)")
        #expect(audit.stdout.contains("ops:alice") && audit.stdout.contains("workspace.shred"))
        for value in ["pg-first", "pg-second", "globex-pg", "from-sqlite", "whsec-sqlite"] { #expect(!audit.stdout.contains(value)) }

        // A record edited through the maintenance connection breaks the chain right there.
        let schema = s.schema
        try await Env.withConnection(asApplication: false) { c in
            try await c.query(PostgresQuery(unsafeSQL: "UPDATE \"\(schema)\".audit_log SET actor = 'someone-else' WHERE sequence = 3"), logger: Env.logger)
        }
        let broken = try run(s, ["audit", "verify"])
        #expect(broken.status == 77, "stdout: \(broken.stdout) stderr: \(broken.stderr)")
        #expect(broken.stderr.contains("audit chain broken at record 3"), "stderr: \(broken.stderr)")
    }
}
