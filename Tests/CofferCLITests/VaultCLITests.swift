import Foundation
import Testing

/// The vault commands (`init`, `workspace`, `put`, `get`, `list`, `history`, `delete`,
/// `undelete`) run as real processes on a real SQLite file.
@Suite struct VaultCLITests {
    /// A CLI runner with a key file and an initialised store in its own temp directory.
    struct Env {
        let cli: CLIRunner
        let kek: String
        let store: String
        var base: [String] { ["--kek", kek, "--store", store] }

        init() throws {
            cli = try CLIRunner()
            kek = "file:" + (try cli.makeKeyFile())
            store = cli.path("vault.db")
        }

        func run(_ command: [String], _ rest: [String] = [], stdin: Data? = nil, env: [String: String] = [:]) throws -> CLIRunner.Result {
            try cli.run(command + base + rest, stdin: stdin, environment: env)
        }

        func initialised(workspaces: [String] = ["acme"]) throws -> Env {
            let r = try run(["init"])
            #expect(r.status == 0, "stderr: \(r.stderr)")
            for ws in workspaces {
                let c = try run(["workspace", "create"], [ws])
                #expect(c.status == 0, "stderr: \(c.stderr)")
            }
            return self
        }

        /// Every row of every table, read-only, to check that "nothing stored changed" (the
        /// file's bytes are no proof: WAL checkpoints rewrite it without changing any row).
        /// The audit tables are left out: every operation, failed ones too, is audited.
        func storeBytes() throws -> [String] {
            try StoreDump.rows(ofDatabaseAt: store).filter { !$0.hasPrefix("audit_") }
        }
    }

    let token = Data("ya29.a0AfH6SM-secret-token-value".utf8)

    @Test func initCreatesA0600StoreAndIsIdempotent() throws {
        let e = try Env()
        let r = try e.run(["init"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: e.store)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try e.run(["init"])
        #expect(again.status == 0)
        #expect(again.stdoutText.contains("opened existing"))
    }

    @Test func putGetRoundTripIsByteExact() throws {
        let e = try Env().initialised()
        let binary = token + Data([0, 0xFF, 0x0A, 0x0D])
        let put = try e.run(["put"], ["acme", "google/oauth"], stdin: binary)
        #expect(put.status == 0, "stderr: \(put.stderr)")
        #expect(put.stdoutText == "1\n")
        let get = try e.run(["get"], ["acme", "google/oauth"])
        #expect(get.status == 0, "stderr: \(get.stderr)")
        #expect(get.stdout == binary)
    }

    @Test func versionsHistoryAndCheckAndSet() throws {
        let e = try Env().initialised()
        for i in 1...3 {
            let r = try e.run(["put"], ["acme", "tok"], stdin: Data("v\(i)".utf8))
            #expect(r.stdoutText == "\(i)\n")
        }
        #expect(try e.run(["get"], ["acme", "tok", "--version", "2"]).stdout == Data("v2".utf8))
        #expect(try e.run(["get"], ["acme", "tok"]).stdout == Data("v3".utf8))
        let conflict = try e.run(["put"], ["acme", "tok", "--expect-version", "2"], stdin: Data("v4".utf8))
        #expect(conflict.status == 75)
        #expect(conflict.stderr.contains("current version is 3"))
        let ok = try e.run(["put"], ["acme", "tok", "--expect-version", "3"], stdin: Data("v4".utf8))
        #expect(ok.status == 0)
        #expect(ok.stdoutText == "4\n")
        let createOnly = try e.run(["put"], ["acme", "tok", "--expect-version", "0"], stdin: Data("x".utf8))
        #expect(createOnly.status == 75)
        let history = try e.run(["history"], ["acme", "tok", "--json"])
        let versions = try #require(try JSONSerialization.jsonObject(with: history.stdout) as? [[String: Any]])
        #expect(versions.compactMap { $0["version"] as? Int } == [1, 2, 3, 4])
        #expect(!history.stdoutText.contains("v4"))
    }

    @Test func deleteAndUndelete() throws {
        let e = try Env().initialised()
        _ = try e.run(["put"], ["acme", "tok"], stdin: Data("v1".utf8))
        _ = try e.run(["put"], ["acme", "tok"], stdin: Data("v2".utf8))
        #expect(try e.run(["delete"], ["acme", "tok", "--version", "2"]).status == 0)
        let deleted = try e.run(["get"], ["acme", "tok", "--version", "2"])
        #expect(deleted.status == 66)
        #expect(deleted.stderr.contains("undelete"))
        #expect(try e.run(["get"], ["acme", "tok", "--version", "1"]).stdout == Data("v1".utf8))
        #expect(try e.run(["undelete"], ["acme", "tok", "--version", "2"]).status == 0)
        #expect(try e.run(["get"], ["acme", "tok"]).stdout == Data("v2".utf8))
        #expect(try e.run(["delete"], ["acme", "tok"]).status == 0)
        #expect(try e.run(["get"], ["acme", "tok", "--version", "1"]).status == 66)
        #expect(try e.run(["undelete"], ["acme", "tok"]).status == 0)
        #expect(try e.run(["get"], ["acme", "tok", "--version", "1"]).stdout == Data("v1".utf8))
    }

    @Test func listShowsMetadataButNoValues() throws {
        let e = try Env().initialised()
        let r = try e.run(["put"], ["acme", "aws/prod", "--label", "env=prod", "--label", "team=core",
                                     "--expires-at", "2030-01-01T00:00:00Z"], stdin: token)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let list = try e.run(["list"], ["acme", "--json"])
        #expect(list.status == 0)
        let all = try #require(try JSONSerialization.jsonObject(with: list.stdout) as? [[String: Any]])
        #expect(all.count == 1)
        let meta = try #require(all.first?["metadata"] as? [String: Any])
        #expect((meta["labels"] as? [String: String]) == ["env": "prod", "team": "core"])
        #expect(!list.stdoutText.contains("secret-token"))
        let text = try e.run(["list"], ["acme"])
        #expect(text.stdoutText.contains("aws/prod"))
        #expect(text.stdoutText.contains("env=prod"))
    }

    @Test func oauthKindIsValidatedAndStoredAsOneVersion() throws {
        let e = try Env().initialised()
        let json = #"{"access_token":"at-1","refresh_token":"rt-1","token_type":"Bearer","scope":"repo user","expires_in":3600}"#
        let r = try e.run(["put"], ["acme", "github/oauth", "--kind", "oauth-token"], stdin: Data(json.utf8))
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let got = try e.run(["get"], ["acme", "github/oauth"])
        let obj = try #require(try JSONSerialization.jsonObject(with: got.stdout) as? [String: Any])
        #expect(obj["access_token"] as? String == "at-1")
        #expect(obj["refresh_token"] as? String == "rt-1")
        let bad = try e.run(["put"], ["acme", "github/oauth", "--kind", "oauth-token"], stdin: Data(#"{"refresh_token":"rt-SECRET"}"#.utf8))
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("access_token"))
        #expect(!bad.stderr.contains("rt-SECRET"))
        let unknownKind = try e.run(["put"], ["acme", "x", "--kind", "ssh-key"], stdin: token)
        #expect(unknownKind.status == 64)
    }

    @Test func workspaceCommands() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        let dup = try e.run(["workspace", "create"], ["acme"])
        #expect(dup.status == 65)
        let list = try e.run(["workspace", "list"], ["--json"])
        let all = try #require(try JSONSerialization.jsonObject(with: list.stdout) as? [[String: Any]])
        #expect(all.compactMap { $0["id"] as? String } == ["acme", "globex"])
        _ = try e.run(["put"], ["acme", "a"], stdin: token)
        _ = try e.run(["put"], ["acme", "b"], stdin: token)
        let show = try e.run(["workspace", "show"], ["acme", "--json"])
        let info = try #require(try JSONSerialization.jsonObject(with: show.stdout) as? [String: Any])
        #expect(info["secretCount"] as? Int == 2)
        #expect((info["dataKeys"] as? [[String: Any]])?.count == 1)
        #expect(try e.run(["workspace", "show"], ["nope"]).status == 66)
    }

    /// Bad input: clear error, nonzero exit, and the database file is byte-for-byte unchanged.
    @Test(arguments: [
        (["put"], ["nope", "tok"], "x", 66),             // unknown workspace
        (["put"], ["Acme", "tok"], "x", 64),             // invalid workspace id
        (["put"], ["acme", "bad//name"], "x", 64),       // invalid secret name
        (["put"], ["acme", "tok"], "", 65),              // empty value
        (["get"], ["acme", "missing"], "", 66),          // unknown secret
        (["get"], ["acme", "tok", "--version", "9"], "", 66),
    ])
    func badInputChangesNothing(command: [String], args: [String], value: String, expected: Int32) throws {
        let e = try Env().initialised()
        _ = try e.run(["put"], ["acme", "tok"], stdin: token)
        let before = try e.storeBytes()
        let r = try e.run(command, args, stdin: Data(value.utf8))
        #expect(r.status == expected, "stderr: \(r.stderr)")
        #expect(!r.stderr.isEmpty)
        #expect(try e.storeBytes() == before)
        #expect(try e.run(["get"], ["acme", "tok"]).stdout == token)
    }

    @Test func oversizedValueIsRefusedWithTheLimit() throws {
        let e = try Env().initialised()
        let r = try e.run(["put"], ["acme", "big"], stdin: Data(count: (1 << 20) + 1))
        #expect(r.status == 65)
        #expect(r.stderr.contains("1048576"))
        let list = try e.run(["list"], ["acme", "--json"])
        let all = try #require(try JSONSerialization.jsonObject(with: list.stdout) as? [Any])
        #expect(all.isEmpty)
    }

    @Test func wrongKEKIsAnAuthenticationFailure() throws {
        let e = try Env().initialised()
        _ = try e.run(["put"], ["acme", "tok"], stdin: token)
        let other = "file:" + (try e.cli.makeKeyFile("other"))
        let r = try e.cli.run(["get", "--kek", other, "--store", e.store, "acme", "tok"])
        #expect(r.status == 77)
        #expect(r.stdout.isEmpty)
        let w = try e.cli.run(["put", "--kek", other, "--store", e.store, "acme", "tok"], stdin: token)
        #expect(w.status == 77)
    }

    @Test func unprotectedKeyFileIsRefused() throws {
        let e = try Env().initialised()
        let loose = try e.cli.makeKeyFile("loose", mode: 0o644)
        let before = try e.storeBytes()
        let r = try e.cli.run(["put", "--kek", "file:" + loose, "--store", e.store, "acme", "tok"], stdin: token)
        #expect(r.status == 78)
        #expect(r.stderr.contains("chmod 600"))
        #expect(try e.storeBytes() == before)
    }

    @Test func corruptedDatabaseIsReportedAndLeftAlone() throws {
        let e = try Env()
        var junk = Data("this is not a database".utf8)
        junk.append(Data(count: 8192))
        try junk.write(to: URL(fileURLWithPath: e.store))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: e.store)
        let r = try e.run(["list"], ["acme"])
        #expect(r.status == 69, "stderr: \(r.stderr)")
        #expect(r.stderr.contains(e.store) || r.stderr.lowercased().contains("damaged") || r.stderr.lowercased().contains("database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: e.store)) == junk)
    }

    @Test func missingStoreSaysHowToCreateIt() throws {
        let e = try Env()
        let r = try e.run(["list"], ["acme"])
        #expect(r.status == 69)
        #expect(r.stderr.contains("coffer init"))
    }
}
