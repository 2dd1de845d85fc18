import Coffer
import Foundation
import Logging
import Metrics

/// Hands out usable access tokens, refreshing each at its provider at most once however many
/// instances ask at the same moment (README.md, "Refresh without double refresh"):
///
/// 1. Read the current version. Fresh enough (expires after now + skew, or never): return it.
/// 2. Another instance's claim still holds: wait for its new version (bounded), then start over.
/// 3. Otherwise claim: write the same token set again with claim labels, check-and-set on the
///    version read. Only one writer can win; a loser starts over (and finds the claim).
/// 4. The winner calls the provider, then writes the new token set without claim labels,
///    check-and-set on its claim version.
///
/// A claimant that dies leaves a claim that lapses after ``BrokerConfiguration/claimDuration``;
/// then the next request takes the refresh over. `WorkspaceScope.refreshOAuthToken` is not used:
/// it retries its closure after a lost check-and-set, which would call the provider twice.
struct TokenRefresher: Sendable {
    var vault: Vault
    var configuration: BrokerConfiguration
    var provider: ProviderClient

    /// A usable token of a connection, and whether this call refreshed it.
    struct Usable: Sendable {
        var token: OAuthTokenSet
        var info: SecretVersionInfo
        var refreshed: Bool
    }

    static let refreshes = "token_broker_refreshes_total"
    static let claimWaits = "token_broker_claim_waits_total"

    /// The connection's access token, refreshed first when it expires within the skew window.
    /// - Throws: ``BrokerError`` (404, 409, 502, 503) or vault errors.
    func usableToken(_ path: ConnectionPath, logger: Logger) async throws -> Usable {
        let scope = try vault.workspace(path.workspace)
        let clock = ContinuousClock()
        // A waiter gives up a little after a claim it saw must have lapsed.
        let waitLimit = configuration.claimDuration + .seconds(1)
        var waitingSince: ContinuousClock.Instant?
        while true {
            let (token, info) = try await scope.oauthToken(path.secretName)
            let now = configuration.now()
            if let expiresAt = token.expiresAt, expiresAt.timeIntervalSince(now) <= configuration.refreshSkew.timeInterval {
                // Needs a refresh (below).
            } else {
                return Usable(token: token, info: info, refreshed: false)
            }
            if let claim = RefreshClaim(labels: info.metadata.labels), claim.isActive(at: now) {
                let since = waitingSince ?? clock.now
                if waitingSince == nil {
                    waitingSince = since
                    Counter(label: Self.claimWaits).increment()
                    logger.debug("waiting for another instance's refresh", metadata: [
                        "workspace": "\(path.workspace)", "connection": "\(path.name)", "version": "\(info.version)",
                    ])
                }
                guard clock.now - since < waitLimit else {
                    throw BrokerError.unavailable("connection '\(path.name)' is being refreshed by another instance; retry shortly")
                }
                try await Task.sleep(for: configuration.claimPollInterval)
                continue
            }
            guard let refreshToken = token.refreshToken else {
                throw BrokerError.conflict("connection '\(path.name)' expires and has no refresh token; reconnect it")
            }
            let providerName = info.metadata.labels[Self.providerLabel] ?? ""
            guard let provider = configuration.providers[providerName] else {
                throw BrokerError.badGateway("connection '\(path.name)' names provider '\(providerName)', which this broker does not know")
            }
            // Claim the version just read.
            let claim = RefreshClaim(
                owner: "\(configuration.instanceID)/\(UInt64.random(in: 0...UInt64.max))",
                until: now.addingTimeInterval(configuration.claimDuration.timeInterval))
            let claimed: SecretVersionInfo
            do {
                claimed = try await scope.putOAuthToken(
                    path.secretName, token, labels: claim.adding(to: RefreshClaim.removing(from: info.metadata.labels)),
                    expectedVersion: info.version)
            } catch VaultError.checkAndSetConflict {
                // Another instance wrote first (its claim, or its new token): look again.
                continue
            }
            logger.debug("claimed the refresh", metadata: [
                "workspace": "\(path.workspace)", "connection": "\(path.name)", "version": "\(claimed.version)",
            ])
            let labels = RefreshClaim.removing(from: info.metadata.labels)
            let fresh: OAuthTokenSet
            do {
                fresh = try await self.provider.refresh(
                    token, refreshToken: refreshToken, provider: provider, name: providerName, now: configuration.now, logger: logger)
            } catch {
                Counter(label: Self.refreshes, dimensions: [("outcome", "provider_error")]).increment()
                if error.definite {
                    // The provider did not use the refresh token: release the claim at once.
                    _ = try? await scope.putOAuthToken(path.secretName, token, labels: labels, expectedVersion: claimed.version)
                }
                throw BrokerError.badGateway(error.message)
            }
            do {
                let written = try await writeRefreshed(fresh, labels: labels, claimVersion: claimed.version, scope: scope, path: path, logger: logger)
                Counter(label: Self.refreshes, dimensions: [("outcome", "refreshed")]).increment()
                logger.info("refreshed connection", metadata: [
                    "workspace": "\(path.workspace)", "connection": "\(path.name)", "version": "\(written.version)", "provider": "\(providerName)",
                ])
                return Usable(token: fresh, info: written, refreshed: true)
            } catch VaultError.checkAndSetConflict(_, _, _, let actual) {
                // Our claim lapsed and another instance took over (or the connection was
                // replaced by a PUT): its version wins; ours is dropped.
                Counter(label: Self.refreshes, dimensions: [("outcome", "claim_lost")]).increment()
                logger.error("refresh finished after its claim was taken over; the provider may revoke the connection", metadata: [
                    "workspace": "\(path.workspace)", "connection": "\(path.name)", "claim_version": "\(claimed.version)", "current_version": "\(actual)",
                ])
                throw BrokerError.conflict("connection '\(path.name)' was changed while this instance refreshed it; read it again")
            }
        }
    }

    /// Writes the provider's new token set over the claim version. The provider has already
    /// rotated the refresh token, so losing this write would lose the connection: a store or
    /// KEK service that is briefly unavailable is retried (3 attempts in all) while the claim
    /// still holds. A check-and-set conflict is not retried.
    private func writeRefreshed(
        _ fresh: OAuthTokenSet, labels: [String: String], claimVersion: UInt32, scope: WorkspaceScope, path: ConnectionPath, logger: Logger
    ) async throws -> SecretVersionInfo {
        var attempt = 1
        while true {
            do {
                return try await scope.putOAuthToken(path.secretName, fresh, labels: labels, expectedVersion: claimVersion)
            } catch let error as VaultError {
                switch error {
                case .storeUnavailable where attempt < 3, .kekServiceUnavailable where attempt < 3:
                    logger.warning("writing a refreshed token failed; retrying", metadata: [
                        "workspace": "\(path.workspace)", "connection": "\(path.name)", "attempt": "\(attempt)", "error": "\(error)",
                    ])
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(200 * attempt))
                default:
                    throw error
                }
            }
        }
    }

    /// Label naming a connection's provider.
    static let providerLabel = "provider"
}
