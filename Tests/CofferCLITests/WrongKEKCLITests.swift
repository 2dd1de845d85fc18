import Foundation
import Testing

/// A wrong but well-formed KEK changes nothing: every command that writes (wraps a key or
/// changes rows) exits 77 before writing, the database stays logically identical, and the
/// right KEK still works afterwards.
@Suite struct WrongKEKCLITests {
    typealias Env = VaultCLITests.Env

    /// The store's rows: the data tables and the audit keys (audit records may be appended by
    /// a failed operation by design; a key may never be wrapped).
    static func rows(_ e: Env) throws -> [String] {
        try StoreDump.rows(ofDatabaseAt: e.store, includeAudit: true)
            .filter { !$0.hasPrefix("audit_") || $0.hasPrefix("audit_keys:") }
    }

    @Test func everyWriteCommandRefusesAWrongKEKAndChangesNothing() throws {
        let e = try Env().initialised(workspaces: ["acme", "old"])
        #expect(try e.run(["put"], ["acme", "db/password"], stdin: Data("right-kek-value".utf8)).status == 0)
        #expect(try e.run(["put"], ["old", "gone"], stdin: Data("x".utf8)).status == 0)
        #expect(try e.run(["delete"], ["old", "gone", "--version", "1"]).status == 0)
        #expect(try e.run(["workspace", "delete"], ["old"]).status == 0)
        let export = e.cli.path("acme.json")
        #expect(try e.run(["export"], ["acme", "--plaintext", "--out", export]).status == 0)
        let wrong = "file:" + (try e.cli.makeKeyFile("wrong-kek"))
        let newKEK = "file:" + (try e.cli.makeKeyFile("new-kek"))
        let before = try Self.rows(e)

        let commands: [([String], Data?)] = [
            (["rotate", "acme"], nil),
            (["rotate", "acme", "--revoke", "1"], nil),
            (["workspace", "create", "beta"], nil),
            (["import", "beta", "--file", export], nil),
            (["import", "acme", "--file", export, "--overwrite"], nil),
            (["rotate-kek", "--new-kek", newKEK], nil),
            (["put", "acme", "db/password"], Data("wrong-kek-value".utf8)),
            (["delete", "acme", "db/password"], nil),
            (["undelete", "old", "gone"], nil),
            (["workspace", "delete", "acme"], nil),
            (["workspace", "undelete", "old"], nil),
            (["workspace", "shred", "old", "--now", "--confirm", "old"], nil),
            (["policy", "acme", "--max-age", "30d"], nil),
            (["retire", "acme", "--below", "1"], nil),
            (["purge", "--grace", "0s"], nil),
            (["init"], nil),
        ]
        for (command, stdin) in commands {
            let r = try e.cli.run(command + ["--kek", wrong, "--store", e.store], stdin: stdin)
            #expect(r.status == 77, "\(command): status \(r.status), stderr: \(r.stderr)")
            #expect(!r.stderr.contains("vault.db-"), "\(command)")
            #expect(try Self.rows(e) == before, "\(command) changed the store")
        }

        // The right KEK still writes and reads.
        #expect(try e.run(["put"], ["acme", "db/password"], stdin: Data("next".utf8)).status == 0)
        #expect(try e.run(["rotate"], ["acme"]).status == 0)
        let get = try e.run(["get"], ["acme", "db/password"])
        #expect(get.status == 0 && get.stdoutText == "next", "stderr: \(get.stderr)")
    }

    @Test func theRefusalNamesBothKEKIdsAndNoKey() throws {
        let e = try Env().initialised()
        let keyPath = try e.cli.makeKeyFile("wrong-kek")
        let key = try String(contentsOfFile: keyPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let r = try e.cli.run(["workspace", "create", "beta", "--kek", "file:" + keyPath, "--store", e.store])
        #expect(r.status == 77)
        let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("coffer: ") }.map(String.init) ?? ""
        #expect(line.contains("is not this store's"), "\(r.stderr)")
        #expect(line.components(separatedBy: "kek-").count == 3, "both KEK ids: \(r.stderr)")
        #expect(!r.stderr.contains(key))
    }
}
