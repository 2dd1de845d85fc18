import CofferCrypto
import Foundation

/// Per-workspace facts the write path needs to apply the rotation policy: the effective policy
/// (vault policy overridden by the workspace's), the primary data-key version they were read
/// for and, when an age limit applies, when that data key was created.
///
/// Entries age out like the data-key cache (``VaultConfiguration/dataKeyCacheMaxAge``), so a
/// policy set or a rotation done by another process is seen within that time; this process
/// drops an entry itself whenever it rotates, retires, revokes or sets a policy.
final class RotationGate: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.

    struct Entry: Sendable {
        /// The primary data-key version these facts belong to.
        var primaryVersion: UInt32
        /// When that data key was created (nil when no age limit applies: not fetched).
        var primaryCreatedAt: Date?
        var policy: RotationPolicy
        var fetchedAt: Date
    }

    private let entries = PosixMutex([String: Entry]())
    private let maxAge: TimeInterval
    private let now: @Sendable () -> Date

    init(maxAge: Duration, now: @escaping @Sendable () -> Date) {
        self.maxAge = maxAge.timeInterval
        self.now = now
    }

    /// The fresh entry of `workspace` for primary version `primary`, or nil.
    func entry(of workspace: String, primary: UInt32) -> Entry? {
        let time = now()
        return entries.withLock { e -> Entry? in
            guard let entry = e[workspace] else { return nil }
            let age = time.timeIntervalSince(entry.fetchedAt)
            guard entry.primaryVersion == primary, age >= 0, age < maxAge else {
                e[workspace] = nil
                return nil
            }
            return entry
        }
    }

    func set(_ entry: Entry, of workspace: String) {
        entries.withLock { $0[workspace] = entry }
    }

    /// Forgets what is known about `workspace`.
    func invalidate(_ workspace: String) {
        _ = entries.withLock { $0.removeValue(forKey: workspace) }
    }
}
