import Foundation
import Testing

/// `status`, `rotate`, `retire`, `reencrypt`, `rotate-kek` and `policy` as real processes.
@Suite struct RotationCLITests {
    typealias Env = VaultCLITests.Env

    static func jsonLines(_ r: CLIRunner.Result) throws -> [[String: Any]] {
        try r.stdoutText.split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func status(_ e: Env, _ extra: [String] = []) throws -> [String: Any] {
        let r = try e.run(["status"], extra + ["--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try #require(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
    }

    @Test func rotateRetireRefusedReencryptThenRetire() throws {
        let e = try Env().initialised()
        for i in 1...3 { _ = try e.run(["put"], ["acme", "s\(i)"], stdin: Data("value-\(i)".utf8)) }
        _ = try e.run(["delete"], ["acme", "s3"])
        let rotate = try e.run(["rotate"], ["acme"])
        #expect(rotate.status == 0, "stderr: \(rotate.stderr)")
        #expect(rotate.stdoutText.contains("data key version 2 is now primary"))

        let refused = try e.run(["retire"], ["acme", "--below", "2"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("3 secret version(s)"))
        #expect(refused.stderr.contains("coffer reencrypt acme"))

        let text = try e.run(["status"], ["acme"])
        #expect(text.stdoutText.contains("secret versions to re-encrypt: 3"))
        #expect(text.stdoutText.contains("no other KEK is needed"))

        let re = try e.run(["reencrypt"], ["acme", "--batch", "2", "--json"])
        #expect(re.status == 0, "stderr: \(re.stderr)")
        let lines = try Self.jsonLines(re)
        #expect(lines.count == 3)   // two batches and the final report
        #expect(lines.last?["finished"] as? Bool == true)
        #expect(lines.last?["reencrypted"] as? Int == 3)
        #expect(!re.stdoutText.contains("value-"))

        let retire = try e.run(["retire"], ["acme", "--min-version", "2"])
        #expect(retire.status == 0, "stderr: \(retire.stderr)")
        let ws = try #require((try Self.status(e, ["acme"])["workspaces"] as? [[String: Any]])?.first)
        #expect(ws["minimumDecryptionVersion"] as? Int == 2)
        #expect(ws["secretVersionsToReencrypt"] as? Int == 0)
        for i in 1...2 { #expect(try e.run(["get"], ["acme", "s\(i)"]).stdout == Data("value-\(i)".utf8)) }
    }

    @Test func revokeDestroysTheKey() throws {
        let e = try Env().initialised()
        for i in 1...4 { _ = try e.run(["put"], ["acme", "s\(i)"], stdin: Data("value-\(i)".utf8)) }
        let r = try e.run(["rotate"], ["acme", "--revoke", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("4 secret version(s) re-encrypted, key destroyed"))
        let ws = try #require((try Self.status(e, ["acme"])["workspaces"] as? [[String: Any]])?.first)
        let versions = (ws["dataKeys"] as? [[String: Any]])?.compactMap { $0["version"] as? Int }
        #expect(versions == [2])
        for i in 1...4 { #expect(try e.run(["get"], ["acme", "s\(i)"]).stdout == Data("value-\(i)".utf8)) }
        let again = try e.run(["rotate"], ["acme", "--revoke", "1"])
        #expect(again.status == 66)
    }

    @Test func rotateKEKThenOnlyTheNewKEKIsNeeded() throws {
        let e = try Env().initialised(workspaces: ["acme", "beta"])
        _ = try e.run(["put"], ["acme", "tok"], stdin: Data("acme-token".utf8))
        _ = try e.run(["put"], ["beta", "tok"], stdin: Data("beta-token".utf8))
        _ = try e.run(["rotate"], ["acme"])
        let newKEK = "file:" + (try e.cli.makeKeyFile("kek-new"))
        let r = try e.run(["rotate-kek"], ["--new-kek", newKEK, "--batch", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdoutText.contains("re-wrapped 3 data key(s)"))
        #expect(r.stdoutText.contains("the old KEK is no longer needed"))
        let withNew = ["--kek", newKEK, "--store", e.store]
        let status = try e.cli.run(["status"] + withNew)
        #expect(status.status == 0, "stderr: \(status.stderr)")
        #expect(status.stdoutText.contains("no other KEK is needed"))
        #expect(try e.cli.run(["get"] + withNew + ["acme", "tok"]).stdout == Data("acme-token".utf8))
        #expect(try e.cli.run(["get"] + withNew + ["beta", "tok"]).stdout == Data("beta-token".utf8))
        #expect(try e.run(["get"], ["acme", "tok"]).status == 77)   // the old KEK alone no longer opens
        let again = try e.cli.run(["rotate-kek"] + withNew + ["--new-kek", newKEK])
        #expect(again.status == 0)
        #expect(again.stdoutText.contains("re-wrapped 0 data key(s)"))
    }

    @Test func policyRotatesOnTheWriteAtTheLimit() throws {
        let e = try Env().initialised()
        let p = try e.run(["policy"], ["acme", "--max-encryptions", "2", "--max-age", "90d"])
        #expect(p.status == 0, "stderr: \(p.stderr)")
        #expect(p.stdoutText.contains("max-age 90d, max-encryptions 2 (workspace override)"))
        for i in 1...3 { #expect(try e.run(["put"], ["acme", "s"], stdin: Data("v\(i)".utf8)).status == 0) }
        let ws = try #require((try Self.status(e, ["acme"])["workspaces"] as? [[String: Any]])?.first)
        #expect(ws["primaryDataKeyVersion"] as? Int == 2)
        // Out of range on the command line: a usage error naming the range (issue 10).
        let zero = try e.run(["policy"], ["acme", "--max-encryptions", "0"])
        #expect(zero.status == 64)
        #expect(zero.stderr.contains("between 1 and 4294967296"))
        let cleared = try e.run(["policy"], ["acme", "--clear"])
        #expect(cleared.stdoutText.contains("max-encryptions 1073741824 (vault default)"))
    }

    @Test func helpTextsHaveExamples() throws {
        let cli = try CLIRunner()
        for command in ["status", "rotate", "retire", "reencrypt", "rotate-kek", "policy"] {
            let r = try cli.run([command, "--help"])
            #expect(r.status == 0)
            #expect(r.stdoutText.contains("Example"), "\(command) --help")
        }
    }
}
