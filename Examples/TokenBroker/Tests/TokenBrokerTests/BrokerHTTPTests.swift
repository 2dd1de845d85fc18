import Coffer
import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing
@testable import TokenBroker

/// The broker over real HTTP on loopback (SQLite), with the stub provider also on loopback.
@Suite struct BrokerHTTPTests {
    /// A connection body whose access token expires in `expiresIn` seconds.
    static func connection(access: String, refresh: String, expiresIn: Int = 3600) -> [String: any Sendable] {
        ["provider": "stub", "access_token": access, "refresh_token": refresh, "expires_in": expiresIn, "scopes": ["repo"]]
    }

    @Test func putThenGetReturnsTheStoredAccessToken() async throws {
        let provider = StubProvider()
        try await withBroker(provider) { broker, client in
            let put = try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "acc-one", refresh: "ref-one"))
            #expect(put.status == .created)
            #expect(put.body["version"] as? Int == 1)
            #expect(put.body["access_token"] == nil && put.body["refresh_token"] == nil)
            let get = try await client.send(.get, "/workspaces/acme/connections/github")
            #expect(get.status == .ok)
            #expect(get.body["access_token"] as? String == "acc-one")
            #expect(get.body["refresh_token"] == nil)
            #expect(get.body["refreshed"] as? Bool == false)
            #expect(get.body["scopes"] as? [String] == ["repo"])
            let again = try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "acc-two", refresh: "ref-two"))
            #expect(again.status == .ok)
            #expect(again.body["version"] as? Int == 2)
            #expect(try await client.send(.get, "/workspaces/acme/connections/github").body["access_token"] as? String == "acc-two")
            #expect(try await client.send(.get, "/workspaces/acme/connections/gitlab").status == .notFound)
            #expect(try await client.send(.get, "/workspaces/nobody/connections/github").status == .notFound)
            #expect(provider.requests == 0)
        }
    }

    @Test func getRefreshesATokenExpiringWithinTheSkewOnce() async throws {
        let provider = StubProvider()
        provider.register(refreshToken: "ref-expiring")
        try await withBroker(provider, refreshSkew: .seconds(60)) { broker, client in
            // 30 s left: inside the 60 s skew window.
            try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "acc-old", refresh: "ref-expiring", expiresIn: 30))
            let first = try await client.send(.get, "/workspaces/acme/connections/github")
            #expect(first.status == .ok)
            let fresh = try #require(first.body["access_token"] as? String)
            #expect(fresh.hasPrefix("sat-"))
            #expect(first.body["refreshed"] as? Bool == true)
            #expect(first.body["scopes"] as? [String] == ["repo", "read:user"])
            let second = try await client.send(.get, "/workspaces/acme/connections/github")
            #expect(second.body["access_token"] as? String == fresh)
            #expect(second.body["refreshed"] as? Bool == false)
            // The rotated refresh token was stored: the vault holds the provider's new one.
            let stored = try await broker.vault.workspace("acme").oauthToken("oauth/github").token
            #expect(stored.refreshToken?.hasPrefix("srt-") == true)
            #expect(RefreshClaim(labels: try await broker.vault.workspace("acme").oauthToken("oauth/github").info.metadata.labels) == nil)
            try await broker.vault.flushAudit()
        }
        #expect(provider.uses == ["ref-expiring": 1])
    }

    @Test func expiringListsAcrossWorkspacesAndPerWorkspace() async throws {
        let provider = StubProvider()
        try await withBroker(provider, refreshSkew: .zero) { broker, client in
            try await client.send(.put, "/workspaces/acme/connections/soon", json: Self.connection(access: "a1", refresh: "r1", expiresIn: 2 * 86_400))
            try await client.send(.put, "/workspaces/acme/connections/later", json: Self.connection(access: "a2", refresh: "r2", expiresIn: 30 * 86_400))
            try await client.send(.put, "/workspaces/globex/connections/hourly", json: Self.connection(access: "a3", refresh: "r3", expiresIn: 3_600))
            let all = try await client.send(.get, "/expiring?within=7d")
            #expect(all.status == .ok)
            let entries = try #require(all.body["connections"] as? [[String: Any]])
            // Soonest first; the 30-day one is outside the window.
            #expect(entries.map { "\($0["workspace"]!)/\($0["connection"]!)" } == ["globex/hourly", "acme/soon"])
            #expect(entries.allSatisfy { $0["access_token"] == nil && $0["refresh_token"] == nil })
            let acme = try await client.send(.get, "/workspaces/acme/connections?expiring_within=3d")
            #expect((acme.body["connections"] as? [[String: Any]])?.map { $0["connection"] as? String } == ["soon"])
            let everything = try await client.send(.get, "/workspaces/acme/connections")
            #expect((everything.body["connections"] as? [[String: Any]])?.count == 2)
            #expect(try await client.send(.get, "/workspaces/nobody/connections").status == .notFound)
        }
    }

    @Test func metricsEndpointShowsTheBrokersAndCoffersMetrics() async throws {
        let provider = StubProvider()
        provider.register(refreshToken: "ref-metrics")
        try await withBroker(provider) { broker, client in
            try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "acc-m", refresh: "ref-metrics", expiresIn: 10))
            #expect(try await client.send(.get, "/workspaces/acme/connections/github").status == .ok)
            let metrics = try await client.text("/metrics")
            #expect(metrics.contains("token_broker_refreshes_total{outcome=\"refreshed\"}"))
            // Coffer's own metrics, from the same bootstrapped factory.
            #expect(metrics.contains("coffer_secret_operations_total{"))
            #expect(metrics.contains("coffer_datakey_unwraps_total"))
            // Request metrics by route pattern: no workspace id or connection name in them.
            #expect(metrics.contains("hb_requests"))
            #expect(!metrics.contains("acme") && !metrics.contains("github"))
        }
    }

    /// Requests the broker must refuse with 400 before touching the vault.
    static let badRequests: [(method: HTTPRequest.Method, uri: String, body: String?)] = [
        (.get, "/workspaces/Bad!/connections/github", nil),
        (.get, "/workspaces/acme/connections/" + String(repeating: "n", count: 129), nil),
        (.get, "/workspaces/acme/connections/.hidden", nil),
        (.get, "/workspaces/" + String(repeating: "w", count: 65) + "/connections/github", nil),
        (.put, "/workspaces/acme/connections/github", "not json"),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub"}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"other","access_token":"a"}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"has space"}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":""}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","expires_in":0}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","expires_in":999999999999}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","expires_in":1e400}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","expires_in":60,"expires_at":"2030-01-01T00:00:00Z"}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","expires_at":"10000-01-01T00:00:00Z"}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","scopes":["a b"]}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":"a","token_type":""}"#),
        (.put, "/workspaces/acme/connections/github", #"{"provider":"stub","access_token":""# + String(repeating: "x", count: 70_000) + #""}"#),
        (.get, "/expiring?within=abc", nil),
        (.get, "/expiring?within=-1d", nil),
        (.get, "/expiring?within=36501d", nil),
        (.get, "/expiring?within=1d&within=2d", nil),
        (.get, "/workspaces/acme/connections?expiring_within=" + String(repeating: "9", count: 40), nil),
    ]

    @Test func badInputIs400AndStoresNothing() async throws {
        let provider = StubProvider()
        try await withBroker(provider) { broker, client in
            for request in Self.badRequests {
                let answer = try await client.send(request.method, request.uri, raw: request.body)
                #expect(answer.status == .badRequest, "\(request.method) \(request.uri.prefix(80))")
                #expect(answer.body["error"] is String)
            }
            // Nothing was created by the refused PUTs.
            #expect(try await broker.vault.listWorkspaces().isEmpty)
        }
    }

    @Test func noTokenValueReachesTheLogs() async throws {
        let provider = StubProvider()
        provider.register(refreshToken: "ref-secret-7e2d")
        // swift-log's in-memory handler, at trace level: every line any of the loggers writes
        // (its copies share one store).
        let log = {
            var handler = InMemoryLogHandler()
            handler.logLevel = .trace
            return handler
        }()
        try await withStubProvider(provider) { tokenURL in
            let broker = try await BrokerFixture(tokenURL: tokenURL, logger: Logger(label: "vault") { [log] _ in log })
            defer { broker.remove() }
            let fresh = try await broker.application(logger: Logger(label: "broker") { [log] _ in log }).test(.live) { client in
                try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "acc-secret-51aa", refresh: "ref-secret-7e2d", expiresIn: 5))
                let fresh = try await client.send(.get, "/workspaces/acme/connections/github").body["access_token"] as? String ?? ""
                // A failed refresh (the old refresh token again, rejected by the provider) logs too.
                try await client.send(.put, "/workspaces/acme/connections/reused", json: Self.connection(access: "acc-secret-9b0c", refresh: "ref-secret-7e2d", expiresIn: 5))
                #expect(try await client.send(.get, "/workspaces/acme/connections/reused").status == .badGateway)
                return fresh
            }
            let stored = try await broker.vault.workspace("acme").oauthToken("oauth/github").token
            let secrets = ["acc-secret-51aa", "ref-secret-7e2d", "acc-secret-9b0c", fresh, stored.refreshToken ?? "", StubProvider.clientSecret]
            #expect(fresh.hasPrefix("sat-"))
            let lines = log.entries.map { "\($0.level) \($0.message) \($0.metadata) \($0.error.map { "\($0)" } ?? "")" }
            #expect(lines.count > 5)
            for secret in secrets where !secret.isEmpty {
                #expect(!lines.contains { $0.contains(secret) }, "a token value appears in the logs")
            }
        }
    }

    @Test func providerFailureIs502AndReleasesTheClaim() async throws {
        let provider = StubProvider()
        try await withBroker(provider) { broker, client in
            // The provider never issued this refresh token: it answers invalid_grant.
            try await client.send(.put, "/workspaces/acme/connections/revoked", json: Self.connection(access: "a", refresh: "unknown", expiresIn: 5))
            #expect(try await client.send(.get, "/workspaces/acme/connections/revoked").status == .badGateway)
            let info = try await broker.vault.workspace("acme").oauthToken("oauth/revoked").info
            #expect(RefreshClaim(labels: info.metadata.labels) == nil)
            #expect(info.version == 3) // put, claim, release
            try await broker.vault.flushAudit()
        }
        #expect(provider.uses == ["unknown": 1])
    }

    @Test func providerTimeoutIs502AndKeepsTheClaimUntilItLapses() async throws {
        // The provider rotates the token but answers after the broker's 3 s deadline.
        let provider = StubProvider(delay: .seconds(4))
        provider.register(refreshToken: "ref-slow")
        try await withBroker(provider) { broker, client in
            try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "a", refresh: "ref-slow", expiresIn: 5))
            #expect(try await client.send(.get, "/workspaces/acme/connections/github").status == .badGateway)
            // The outcome at the provider is unknown (here it did rotate): the claim stays, so no
            // instance retries with the old refresh token before the claim lapses.
            let info = try await broker.vault.workspace("acme").oauthToken("oauth/github").info
            #expect(RefreshClaim(labels: info.metadata.labels) != nil)
            try await broker.vault.flushAudit()
        }
        #expect(provider.uses == ["ref-slow": 1])
    }

    @Test func anExpiringConnectionWithoutRefreshTokenIs409() async throws {
        let provider = StubProvider()
        try await withBroker(provider) { broker, client in
            let put = try await client.send(.put, "/workspaces/acme/connections/github", json: [
                "provider": "stub", "access_token": "acc-no-refresh", "expires_in": 5,
            ])
            #expect(put.status == .created)
            let get = try await client.send(.get, "/workspaces/acme/connections/github")
            #expect(get.status == .conflict)
            #expect((get.body["error"] as? String)?.contains("reconnect") == true)
        }
        #expect(provider.requests == 0)
    }

    @Test func aClaimOfADeadInstanceIsTakenOverAfterItLapses() async throws {
        let provider = StubProvider(delay: .zero)
        provider.register(refreshToken: "ref-orphan")
        try await withStubProvider(provider) { tokenURL in
            let broker = try await BrokerFixture(tokenURL: tokenURL)
            defer { broker.remove() }
            let scope = try await {
                try await broker.vault.createWorkspace("acme")
                return try broker.vault.workspace("acme")
            }()
            let token = OAuthTokenSet(accessToken: "acc-orphan", refreshToken: "ref-orphan", expiresAt: Date().addingTimeInterval(-60))
            let first = try await scope.putOAuthToken("oauth/github", token, labels: ["provider": "stub"])
            // An instance claimed the refresh and died: its claim lapses in 1 s.
            let claim = RefreshClaim(owner: "dead-instance/1", until: Date().addingTimeInterval(1))
            try await scope.putOAuthToken("oauth/github", token, labels: claim.adding(to: ["provider": "stub"]), expectedVersion: first.version)
            try await broker.application().test(.live) { client in
                let get = try await client.send(.get, "/workspaces/acme/connections/github")
                #expect(get.status == .ok)
                #expect(get.body["refreshed"] as? Bool == true)
                #expect((get.body["access_token"] as? String)?.hasPrefix("sat-") == true)
            }
        }
        #expect(provider.uses == ["ref-orphan": 1])
    }

    @Test func kekServiceDownIs503() async throws {
        let provider = StubProvider()
        try await withBroker(provider) { broker, client in
            let put = try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "a", refresh: "r"))
            #expect(put.status == .created)
            // A second instance on the same store whose KEK service is down (cold key cache).
            let down = Vault(store: broker.opened.store, kek: UnreachableKEK(base: try BrokerFixture.kek(in: broker.directory)), logger: BrokerFixture.quiet)
            let app = try BrokerApplication.make(vault: down, configuration: broker.configuration, registry: BrokerFixture.registry, port: 0, logger: BrokerFixture.quiet)
            try await app.test(.live) { client in
                let get = try await client.execute(uri: "/workspaces/acme/connections/github", method: .get)
                #expect(get.status == .serviceUnavailable)
                #expect(get.headers[.retryAfter] != nil)
                #expect(try await client.send(.put, "/workspaces/acme/connections/github", json: Self.connection(access: "b", refresh: "r")).status == .serviceUnavailable)
            }
        }
    }
}
