import CofferCrypto
import Foundation

/// Encryptions this vault has already counted in the store under a data key but not used yet
/// (issue 14: no hot counter row).
///
/// A put normally counts its one encryption in the data key's row, in its own transaction.
/// That row is then written by every put to the workspace, so concurrent puts queue on it. So
/// from the second put to a data key in this process on, the put counts a *block* of
/// encryptions instead (``VaultConfiguration/encryptionLeaseSize``, at most 1/16 of the
/// key's limit); the rest of the block stays here and the next puts take one each, counting
/// nothing in the store (``PutSecretRequest/encryptionsToCount`` 0: the store only checks
/// that the key is still usable).
///
/// Why the limit stays exact across processes: the store's count only ever grows by whole
/// blocks, each checked against the limit in the transaction that counts it, and every
/// encryption this process performs was counted before it happened. Encryptions leased and
/// never used are returned when this vault rotates the workspace's key (for the older keys)
/// and on ``Vault/releaseEncryptionLeases()`` (graceful shutdown) or, if
/// the process dies, abandoned: the count then exceeds the values actually sealed, which only
/// makes rotation come earlier.
final class EncryptionLeases: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.

    struct Key: Hashable, Sendable {
        var workspace: String
        var dataKeyVersion: UInt32
    }

    struct Entry: Sendable {
        /// Leased encryptions not handed out yet.
        var remaining: UInt64 = 0
        /// A put under this key was counted here before: the next one may lease a block.
        var seen = false
        /// A block did not fit under the key's limit: count one per put from now on.
        var nearLimit = false
    }

    private let entries = PosixMutex([Key: Entry]())
    /// The configured block size; 1 turns leasing off.
    let blockSize: UInt64
    /// Above this many keys, those holding no lease are forgotten (their next put counts one
    /// again), so a process that writes to many workspaces keeps bounded memory.
    static let maxEntries = 16_384

    init(blockSize: Int) {
        self.blockSize = UInt64(clamping: max(1, blockSize))
    }

    /// How many encryptions the next put under `version` of `workspace` should count in the
    /// store: 0 when it takes one from a lease held here, 1 for the first put to a key (a
    /// process that writes once, like the CLI, never leases), otherwise a block.
    func take(workspace: String, dataKeyVersion version: UInt32, limit: UInt64?) -> UInt64 {
        let block = Self.block(blockSize, limit: limit)
        return entries.withLock { entries -> UInt64 in
            if entries.count > Self.maxEntries {
                entries = entries.filter { $0.value.remaining > 0 }
            }
            let key = Key(workspace: workspace, dataKeyVersion: version)
            var entry = entries[key] ?? Entry()
            defer { entries[key] = entry }
            if entry.remaining > 0 {
                entry.remaining -= 1
                return 0
            }
            if !entry.seen || entry.nearLimit || block <= 1 {
                entry.seen = true
                return 1
            }
            return block
        }
    }

    /// A put that counted `counted` encryptions committed: keeps the `counted - 1` not used.
    func committed(workspace: String, dataKeyVersion version: UInt32, counted: UInt64) {
        guard counted > 1 else { return }
        entries.withLock { $0[Key(workspace: workspace, dataKeyVersion: version), default: Entry()].remaining += counted - 1 }
    }

    /// A put that took one leased encryption (counted 0) failed before sealing anything: the
    /// encryption was never used, so it goes back. (One that failed after sealing stays
    /// spent: the count may only ever be too high.)
    func unused(workspace: String, dataKeyVersion version: UInt32) {
        entries.withLock { $0[Key(workspace: workspace, dataKeyVersion: version), default: Entry()].remaining += 1 }
    }

    /// A block did not fit under the key's limit: count one encryption per put for this key.
    func markNearLimit(workspace: String, dataKeyVersion version: UInt32) {
        entries.withLock { $0[Key(workspace: workspace, dataKeyVersion: version), default: Entry()].nearLimit = true }
    }

    /// Removes and returns the unused leases (for returning them to the store): all of them,
    /// or those of `workspace` on data keys below `version` (after a rotation).
    func drain(workspace: String? = nil, below version: UInt32 = .max) -> [(key: Key, count: UInt64)] {
        entries.withLock { entries -> [(key: Key, count: UInt64)] in
            var drained: [(key: Key, count: UInt64)] = []
            for (key, entry) in entries where entry.remaining > 0 {
                if let workspace, key.workspace != workspace || key.dataKeyVersion >= version { continue }
                drained.append((key, entry.remaining))
                entries[key]?.remaining = 0
            }
            return drained.sorted { ($0.key.workspace, $0.key.dataKeyVersion) < ($1.key.workspace, $1.key.dataKeyVersion) }
        }
    }

    /// The block a put counts when it leases: the configured size, at most 1/16 of the key's
    /// limit (so that a fleet of instances does not take a small limit in a few blocks), at
    /// least 1.
    static func block(_ configured: UInt64, limit: UInt64?) -> UInt64 {
        guard let limit else { return configured }
        return max(1, min(configured, limit / 16))
    }
}
