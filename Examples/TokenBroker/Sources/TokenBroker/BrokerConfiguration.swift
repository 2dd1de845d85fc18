public import Foundation

/// How the broker refreshes: providers, the skew window, the claim lapse time and waits.
public struct BrokerConfiguration: Sendable {
    /// Configured providers by name (what connections name in `provider`).
    public var providers: [String: OAuthProvider]
    /// A GET refreshes an access token that expires within this window (default 60 s).
    public var refreshSkew: Duration
    /// How long a refresh claim holds (default 30 s). Longer than ``providerTimeout`` plus a
    /// store write, so a live claimant always finishes inside its claim; after it, an instance
    /// may take the refresh over from a claimant that died.
    public var claimDuration: Duration
    /// Deadline of one token-endpoint call (default 10 s).
    public var providerTimeout: Duration
    /// How often a waiting request looks for the claimant's new version (default 100 ms).
    public var claimPollInterval: Duration
    /// This instance's id, recorded in its claims (default: host name and process id).
    public var instanceID: String
    /// The clock of expiries and claims (tests move it).
    public var now: @Sendable () -> Date

    /// A configuration; the defaults suit a production broker.
    public init(
        providers: [String: OAuthProvider],
        refreshSkew: Duration = .seconds(60),
        claimDuration: Duration = .seconds(30),
        providerTimeout: Duration = .seconds(10),
        claimPollInterval: Duration = .milliseconds(100),
        instanceID: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.providers = providers
        self.refreshSkew = refreshSkew
        self.claimDuration = claimDuration
        self.providerTimeout = providerTimeout
        self.claimPollInterval = claimPollInterval
        self.instanceID = instanceID
        self.now = now
    }

    /// Checks the ranges and the ordering the claim design relies on.
    /// - Throws: ``BrokerError`` (400) naming the setting.
    public func validate() throws(BrokerError) {
        guard refreshSkew >= .zero, refreshSkew <= .seconds(86_400) else { throw .badRequest("the refresh skew must be between 0s and 1d") }
        guard providerTimeout >= .seconds(1), providerTimeout <= .seconds(120) else { throw .badRequest("the provider timeout must be between 1s and 120s") }
        guard claimDuration >= providerTimeout + .seconds(2), claimDuration <= .seconds(3_600) else {
            throw .badRequest("the claim duration must be at least the provider timeout plus 2s, and at most 1h")
        }
        guard claimPollInterval >= .milliseconds(10), claimPollInterval <= .seconds(5) else { throw .badRequest("the claim poll interval must be between 10ms and 5s") }
        guard (1...128).contains(instanceID.utf8.count) else { throw .badRequest("the instance id must be 1 to 128 bytes") }
        for name in providers.keys {
            guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw .badRequest("a provider name must be 1 to 64 printable ASCII characters")
            }
        }
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
