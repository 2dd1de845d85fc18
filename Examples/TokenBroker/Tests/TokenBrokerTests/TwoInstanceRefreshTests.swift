import Coffer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TokenBroker

/// Two broker instances (two vaults, two HTTP servers on different ports) on one database,
/// asked for the same expired connection at once: the provider must see exactly one refresh,
/// and every answer must carry the same new access token.
@Suite struct TwoInstanceRefreshTests {
    /// The PostgreSQL test server of scripts/postgres.sh, or nil (the test is then skipped).
    static let postgres: (maintenance: String, application: String)? = {
        let env = ProcessInfo.processInfo.environment
        guard env["COFFER_SKIP_POSTGRES"] != "1",
              let maintenance = env["COFFER_TEST_POSTGRES_URL"], let application = env["COFFER_TEST_POSTGRES_APP_URL"],
              !maintenance.isEmpty, !application.isEmpty
        else { return nil }
        return (maintenance, application)
    }()

    /// `url` with its own schema, so the test does not meet other tests' data.
    static func withSchema(_ url: String, _ schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }

    @Test func twoInstancesOnOneSQLiteFileRefreshOnce() async throws {
        let directory = try BrokerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = BrokerDatabase.sqlite(path: directory + "/shared.sqlite")
        try await refreshOnceAcrossInstances(database: database, directory: directory)
    }

    @Test(.enabled(if: postgres != nil, "COFFER_TEST_POSTGRES_URL / COFFER_TEST_POSTGRES_APP_URL not set (eval \"$(bash scripts/postgres.sh start)\")"))
    func twoInstancesOnOnePostgreSQLDatabaseRefreshOnce() async throws {
        let urls = try #require(Self.postgres)
        let schema = "broker_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let database = BrokerDatabase.postgres(
            application: Self.withSchema(urls.application, schema), maintenance: Self.withSchema(urls.maintenance, schema))
        let directory = try BrokerFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await refreshOnceAcrossInstances(database: database, directory: directory)
    }

    func refreshOnceAcrossInstances(database: BrokerDatabase, directory: String) async throws {
        let provider = StubProvider(delay: .milliseconds(300))
        provider.register(refreshToken: "ref-shared")
        try await withStubProvider(provider) { tokenURL in
            // Same KEK file, same database, separate vaults and servers.
            let one = try await BrokerFixture(tokenURL: tokenURL, database: database, directory: directory, instanceID: "one")
            let two = try await BrokerFixture(tokenURL: tokenURL, database: database, directory: directory, instanceID: "two")
            try await one.application().test(.live) { clientOne in
                try await two.application().test(.live) { clientTwo in
                    #expect(clientOne.port != clientTwo.port)
                    let put = try await clientOne.send(.put, "/workspaces/acme/connections/github", json: [
                        "provider": "stub", "access_token": "acc-expired", "refresh_token": "ref-shared",
                        "expires_at": "2020-01-01T00:00:00Z",
                    ])
                    #expect(put.status == .created)
                    // Eight concurrent GETs, four on each instance.
                    let tokens = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                        for index in 0..<8 {
                            let client: any TestClientProtocol = index % 2 == 0 ? clientOne : clientTwo
                            group.addTask {
                                let answer = try await client.send(.get, "/workspaces/acme/connections/github")
                                return (answer.status, answer.body["access_token"] as? String)
                            }
                        }
                        var out: [(HTTPResponse.Status, String?)] = []
                        for try await answer in group { out.append(answer) }
                        return out
                    }
                    #expect(tokens.allSatisfy { $0.0 == .ok }, "\(tokens.map(\.0.code))")
                    let distinct = Set(tokens.compactMap(\.1))
                    #expect(distinct.count == 1)
                    #expect(distinct.first?.hasPrefix("sat-") == true)
                }
            }
        }
        #expect(provider.uses == ["ref-shared": 1])
        #expect(provider.issued == 1)
    }
}
