import Foundation

/// A refresh claim: the labels of a token version that say "instance `owner` is refreshing
/// this token until `until`". Written with check-and-set on the version it claims, so exactly
/// one instance wins; see README.md, "Refresh without double refresh".
struct RefreshClaim: Sendable, Hashable {
    /// Who claimed (an instance id plus a per-claim random part), for logs and debugging.
    var owner: String
    /// When the claim lapses: after it, another instance may take the refresh over.
    var until: Date

    /// Label holding ``owner``.
    static let ownerLabel = "broker.refresh-claim"
    /// Label holding ``until``, in whole Unix seconds.
    static let untilLabel = "broker.refresh-claim-until"
    /// Latest accepted `until` (9999-12-31T23:59:59Z), so a stored label cannot overflow a date.
    static let latestSeconds: Int64 = 253_402_300_799

    /// A new claim.
    init(owner: String, until: Date) {
        self.owner = owner
        self.until = until
    }

    /// The claim in `labels`, if any. A claim label that does not parse (a damaged or foreign
    /// row) counts as a lapsed claim, so it can never block refreshes.
    init?(labels: [String: String]) {
        guard let owner = labels[Self.ownerLabel] else { return nil }
        self.owner = owner
        let text = labels[Self.untilLabel] ?? ""
        // Range-checked as text before converting: 1 to 12 digits, then at most latestSeconds.
        if (1...12).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
           let seconds = Int64(text), seconds <= Self.latestSeconds {
            until = Date(timeIntervalSince1970: Double(seconds))
        } else {
            until = .distantPast
        }
    }

    /// `labels` with this claim added.
    func adding(to labels: [String: String]) -> [String: String] {
        var labels = labels
        labels[Self.ownerLabel] = owner
        labels[Self.untilLabel] = String(Int64(until.timeIntervalSince1970.rounded(.up)))
        return labels
    }

    /// `labels` without any claim.
    static func removing(from labels: [String: String]) -> [String: String] {
        labels.filter { $0.key != ownerLabel && $0.key != untilLabel }
    }

    /// Whether the claim still holds at `now`.
    func isActive(at now: Date) -> Bool { until > now }
}
