import Foundation
import Testing

/// `coffer list --expiring-within DURATION`: the credentials to refresh, across workspaces,
/// soonest first, from metadata only.
@Suite struct ExpiringCLITests {
    typealias Env = VaultCLITests.Env

    static func rfc3339(_ offset: TimeInterval) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date().addingTimeInterval(offset))
    }

    @Test func listsExpiringCredentialsAcrossWorkspacesSoonestFirst() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex", "initech"])
        let day: TimeInterval = 86_400
        let puts: [(String, String, [String])] = [
            ("acme", "aws/deploy", ["--kind", "cloud-credentials"]),
            ("globex", "google/oauth", ["--kind", "oauth-token"]),
            ("globex", "stripe/key", ["--expires-at", Self.rfc3339(-day)]),  // already expired
            ("initech", "db/password", []),  // no expiry
        ]
        let values = [
            #"{"access_key_id":"AKIAEXAMPLE","secret_access_key":"s3cr3t","expires_at":"\#(Self.rfc3339(2 * day))"}"#,
            #"{"access_token":"ya29.x","token_type":"Bearer","expires_in":\#(Int(30 * day))}"#,
            "sk_live_x", "pw",
        ]
        for ((ws, name, flags), value) in zip(puts, values) {
            let r = try e.run(["put"], [ws, name] + flags, stdin: Data(value.utf8))
            #expect(r.status == 0, "\(ws)/\(name): \(r.stderr)")
        }

        let week = try e.run(["list"], ["--expiring-within", "7d", "--json"])
        #expect(week.status == 0, "\(week.stderr)")
        let rows = (try JSONSerialization.jsonObject(with: week.stdout) as? [[String: Any]]) ?? []
        #expect(rows.map { "\($0["workspace"]!)/\($0["name"]!)" } == ["globex/stripe/key", "acme/aws/deploy"])
        #expect(rows.first?["kind"] as? String == "raw")
        #expect(!week.stdoutText.contains("s3cr3t") && !week.stdoutText.contains("sk_live_x"))

        let twoMonths = try e.run(["list"], ["--expiring-within", "60d", "--json"])
        let all = (try JSONSerialization.jsonObject(with: twoMonths.stdout) as? [[String: Any]]) ?? []
        #expect(all.map { "\($0["workspace"]!)/\($0["name"]!)" } == ["globex/stripe/key", "acme/aws/deploy", "globex/google/oauth"])

        // One workspace only, as a table.
        let globex = try e.run(["list"], ["globex", "--expiring-within", "60d"])
        #expect(globex.status == 0 && globex.stdoutText.contains("google/oauth") && !globex.stdoutText.contains("aws/deploy"))
    }

    @Test func badUsageIsExit64() throws {
        let e = try Env().initialised()
        #expect(try e.run(["list"]).status == 64)
        for bad in ["1e9d", "-1d", "36501d", "soon"] {
            let r = try e.run(["list"], ["--expiring-within", bad])
            #expect(r.status == 64, "\(bad): \(r.stderr)")
        }
    }
}
