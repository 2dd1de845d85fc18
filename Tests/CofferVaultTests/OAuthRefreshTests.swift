import Coffer
import CofferCrypto
import Foundation
import Synchronization
import Testing

/// `refreshOAuthToken` under concurrency: every stored version is one consistent pair made by
/// one refresh of its predecessor, and no successful refresh is lost.
@Suite("OAuth refresh")
struct OAuthRefreshTests {
    /// The pair a refresh produces: both tokens carry the same id, and the scopes name the
    /// access token it was refreshed from.
    static func refreshed(from parent: OAuthTokenSet) -> OAuthTokenSet {
        let id = UUID().uuidString
        return OAuthTokenSet(
            accessToken: "access-\(id)", refreshToken: "refresh-\(id)",
            scopes: ["parent:\(parent.accessToken)"], expiresAt: Date(timeIntervalSince1970: 1_900_000_000))
    }

    @Test("concurrent refreshes from many tasks keep pairs consistent and lose none", arguments: [5, 50])
    func concurrentRefreshes(maxAttempts: Int) async throws {
        let f = try VaultFixture { $0.maxVersionsPerSecret = 1000 }
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        try await w.putOAuthToken("gh", OAuthTokenSet(accessToken: "access-0", refreshToken: "refresh-0"), labels: ["provider": "github"])

        let refreshCalls = Counter()
        let tasks = 24
        let results = await withTaskGroup(of: Result<UInt32, VaultError>.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    do {
                        let info = try await w.refreshOAuthToken("gh", maxAttempts: maxAttempts) { current in
                            refreshCalls.increment()
                            // The refresh must start from a consistent pair.
                            #expect(current.refreshToken?.dropFirst("refresh-".count) == current.accessToken.dropFirst("access-".count))
                            await Task.yield()
                            return Self.refreshed(from: current)
                        }
                        return .success(info.version)
                    } catch let error as VaultError {
                        return .failure(error)
                    } catch {
                        Issue.record("unexpected error \(error)")
                        return .failure(.authenticationFailed)
                    }
                }
            }
            return await group.reduce(into: [Result<UInt32, VaultError>]()) { $0.append($1) }
        }

        var successes: [UInt32] = []
        for result in results {
            switch result {
            case .success(let version): successes.append(version)
            case .failure(let error):
                guard case .checkAndSetConflict = error else { Issue.record("refresh failed with \(error)"); continue }
            }
        }
        #expect(!successes.isEmpty)
        #expect(Set(successes).count == successes.count, "two refreshes reported the same version")
        let history = try await w.history("gh")
        #expect(history.count == 1 + successes.count)
        #expect(history.last?.version == UInt32(1 + successes.count))
        #expect(Set(successes) == Set(history.dropFirst().map(\.version)))
        #expect(refreshCalls.value >= successes.count)
        if maxAttempts == 50 { #expect(successes.count == tasks) }

        // Walk the chain: each version is a consistent pair refreshed from the one before.
        var previous = try await w.oauthToken("gh", version: 1).token
        for info in history.dropFirst() {
            let (token, read) = try await w.oauthToken("gh", version: info.version)
            #expect(read.metadata.labels == ["provider": "github"])
            let id = token.accessToken.dropFirst("access-".count)
            #expect(token.refreshToken == "refresh-\(id)", "version \(info.version) holds a mixed pair")
            #expect(token.scopes == ["parent:\(previous.accessToken)"], "version \(info.version) was not refreshed from its predecessor")
            previous = token
        }
    }

    @Test("a refresh that throws writes nothing; maxAttempts bounds the retries")
    func refreshErrors() async throws {
        struct ProviderDown: Error {}
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        try await w.putOAuthToken("gh", OAuthTokenSet(accessToken: "a0", refreshToken: "r0"))
        await #expect(throws: ProviderDown.self) { try await w.refreshOAuthToken("gh") { _ in throw ProviderDown() } }
        #expect(try await w.history("gh").count == 1)

        // A refresh that always loses the race (another writer sneaks in every time).
        let calls = Counter()
        let error = await #expect(throws: VaultError.self) {
            try await w.refreshOAuthToken("gh", maxAttempts: 3) { current in
                calls.increment()
                try await w.putOAuthToken("gh", OAuthTokenSet(accessToken: "interloper"))
                return OAuthTokenSet(accessToken: "mine")
            }
        }
        guard case .checkAndSetConflict? = error else { Issue.record("expected a conflict, got \(String(describing: error))"); return }
        #expect(calls.value == 3)
        #expect(try await w.oauthToken("gh").token.accessToken == "interloper")

        // Refreshing something that is not an OAuth token is refused.
        try await w.put("raw", value: bytes("x"))
        await #expect(throws: VaultError.self) { try await w.refreshOAuthToken("raw") { $0 } }
        await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "missing")) { try await w.refreshOAuthToken("missing") { $0 } }
    }
}
