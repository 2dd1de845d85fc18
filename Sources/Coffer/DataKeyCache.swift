import CofferCrypto
import CoreMetrics
import Foundation

/// Unwrapped workspace data keys, prepared as ``EnvelopeKey``s, keyed by (workspace, version),
/// plus each workspace's primary data-key version.
///
/// - Warm path: one ``PosixMutex`` lookup (no actor hop, no allocation).
/// - Cold path is single-flight: the first caller for a key starts one unstructured `Task`
///   that runs the loader; every concurrent caller for the same key awaits that same task, so
///   a cold workspace is unwrapped once however many tasks ask at the same time.
/// - An entry is dropped when it is older than `maxAge` (by the injected clock) or has served
///   `maxUses` operations (the load counts as one; callers that awaited the same load share
///   it). A failed load is not cached: the next caller tries again.
/// - At most `maxEntries` keys are kept: each prepared key holds locked, guard-paged memory
///   (several memory mappings), so an unbounded cache in a process that touches many
///   workspaces would run into the kernel's mapping limit. When a load or insert goes over the
///   bound, expired entries go first, then the least recently used.
final class DataKeyCache: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type
    // (PosixMutex is Sendable and guards a Sendable State; EnvelopeKey and Task are Sendable).

    struct Key: Hashable, Sendable {
        var workspace: String
        var version: UInt32
    }

    private struct Entry: Sendable {
        var key: EnvelopeKey
        var loadedAt: Date
        var uses: Int
        /// Value of `State.tick` at the last use, for least-recently-used eviction.
        var lastUse: UInt64
    }

    private enum Slot: Sendable {
        case ready(Entry)
        case loading(Task<EnvelopeKey, any Error>, token: UInt64)
    }

    private struct Primary: Sendable {
        var version: UInt32
        var fetchedAt: Date
    }

    private struct State: Sendable {
        var slots: [Key: Slot] = [:]
        var primaries: [String: Primary] = [:]
        var nextToken: UInt64 = 0
        var tick: UInt64 = 0
    }

    private let state = PosixMutex(State())
    private let maxAge: TimeInterval
    private let maxUses: Int
    private let maxEntries: Int
    private let now: @Sendable () -> Date
    /// Counts entries dropped for age, uses or the size bound (`coffer_datakey_cache_evictions_total`).
    private let evictions: Counter?

    init(maxAge: Duration, maxUses: Int, maxEntries: Int = 1024, now: @escaping @Sendable () -> Date, evictions: Counter? = nil) {
        self.maxAge = maxAge.timeInterval
        self.maxUses = max(1, maxUses)
        self.maxEntries = max(1, maxEntries)
        self.now = now
        self.evictions = evictions
    }

    /// Stores a ready entry and enforces ``maxEntries`` (under the lock).
    private func store(_ key: EnvelopeKey, at k: Key, loadedAt: Date, uses: Int, in s: inout State) {
        s.tick &+= 1
        s.slots[k] = .ready(Entry(key: key, loadedAt: loadedAt, uses: uses, lastUse: s.tick))
        guard s.slots.count > maxEntries else { return }
        let before = s.slots.count
        defer { evictions?.increment(by: before - s.slots.count) }
        // Over the bound: drop expired or used-up entries first, then the least recently used.
        for (key, slot) in s.slots {
            if case .ready(let e) = slot, e.uses >= maxUses || !isFresh(e.loadedAt, at: loadedAt) {
                s.slots[key] = nil
            }
        }
        let excess = s.slots.count - maxEntries
        guard excess > 0 else { return }
        let victims = s.slots.compactMap { key, slot -> (Key, UInt64)? in
            if case .ready(let e) = slot, key != k { return (key, e.lastUse) } else { return nil }
        }.sorted { $0.1 < $1.1 }.prefix(excess)
        for (key, _) in victims { s.slots[key] = nil }
        if s.primaries.count > 4 * maxEntries {
            s.primaries = s.primaries.filter { isFresh($0.value.fetchedAt, at: loadedAt) }
        }
    }

    private func isFresh(_ loadedAt: Date, at time: Date) -> Bool {
        let age = time.timeIntervalSince(loadedAt)
        return age >= 0 && age < maxAge
    }

    // MARK: Data keys

    /// The prepared key for (`workspace`, `version`): from the cache, or from `load` (run once
    /// for all concurrent callers). Errors of `load` are rethrown to every waiting caller.
    func key(
        workspace: String, version: UInt32,
        load: @escaping @Sendable () async throws -> EnvelopeKey
    ) async throws -> EnvelopeKey {
        let k = Key(workspace: workspace, version: version)
        let time = now()
        enum Lookup { case hit(EnvelopeKey), wait(Task<EnvelopeKey, any Error>) }
        let lookup: Lookup = state.withLock { s in
            switch s.slots[k] {
            case .ready(var entry)?:
                if entry.uses < maxUses && isFresh(entry.loadedAt, at: time) {
                    entry.uses += 1
                    s.tick &+= 1
                    entry.lastUse = s.tick
                    s.slots[k] = .ready(entry)
                    return .hit(entry.key)
                }
                // Past its age or uses: dropped, and loaded again below.
                evictions?.increment()
            case .loading(let task, _)?:
                return .wait(task)
            case nil:
                break
            }
            // Miss or expired: start the one load for this key. The task is created under the
            // lock on purpose: publishing it in the slot in the same critical section as the
            // miss is what makes the load single-flight. If the task runs `finish` before this
            // closure returns, `finish` waits for the lock, and the pthread mutex orders the two
            // (docs/SECURITY.md §4).
            s.nextToken &+= 1
            let token = s.nextToken
            let task = Task<EnvelopeKey, any Error> { [self] in
                do {
                    let key = try await load()
                    finish(k, token: token, with: key)
                    return key
                } catch {
                    finish(k, token: token, with: nil)
                    throw error
                }
            }
            s.slots[k] = .loading(task, token: token)
            return .wait(task)
        }
        switch lookup {
        case .hit(let key): return key
        case .wait(let task): return try await task.value
        }
    }

    /// The prepared key for (`workspace`, `version`) when it is cached and usable (counting the
    /// use), else nil — the synchronous hit path of ``key(workspace:version:load:)``, for
    /// callers that want to skip building a loader closure on every warm call.
    func readyKey(workspace: String, version: UInt32) -> EnvelopeKey? {
        let k = Key(workspace: workspace, version: version)
        let time = now()
        return state.withLock { s -> EnvelopeKey? in
            guard case .ready(var entry)? = s.slots[k], entry.uses < maxUses, isFresh(entry.loadedAt, at: time) else {
                return nil
            }
            entry.uses += 1
            s.tick &+= 1
            entry.lastUse = s.tick
            s.slots[k] = .ready(entry)
            return entry.key
        }
    }

    /// Records the outcome of the load identified by `token`, unless the slot was replaced
    /// (for example by ``insert(workspace:version:key:)``) in the meantime.
    private func finish(_ k: Key, token: UInt64, with key: EnvelopeKey?) {
        let time = now()
        state.withLock { s in
            guard case .loading(_, let t)? = s.slots[k], t == token else { return }
            if let key {
                store(key, at: k, loadedAt: time, uses: 1, in: &s)
            } else {
                s.slots[k] = nil
            }
        }
    }

    /// Caches a key the caller already holds (a data key it has just generated).
    func insert(workspace: String, version: UInt32, key: EnvelopeKey) {
        let time = now()
        state.withLock { s in
            store(key, at: Key(workspace: workspace, version: version), loadedAt: time, uses: 0, in: &s)
        }
    }

    // MARK: Primary versions

    /// The cached primary data-key version of `workspace`, if it is younger than the max age.
    func primaryVersion(of workspace: String) -> UInt32? {
        let time = now()
        return state.withLock { s -> UInt32? in
            guard let p = s.primaries[workspace] else { return nil }
            if isFresh(p.fetchedAt, at: time) { return p.version }
            s.primaries[workspace] = nil
            return nil
        }
    }

    /// Remembers the primary data-key version of `workspace`.
    func setPrimaryVersion(_ version: UInt32, of workspace: String) {
        let time = now()
        state.withLock { s in s.primaries[workspace] = Primary(version: version, fetchedAt: time) }
    }

    // MARK: Tests and maintenance

    /// Forgets every cached key and primary version.
    func removeAll() {
        state.withLock { s in
            s.slots.removeAll()
            s.primaries.removeAll()
        }
    }

    /// Drops every ready entry past its age or uses, and stale primary versions.
    /// - Returns: the number of keys dropped.
    func removeExpired() -> Int {
        let time = now()
        return state.withLock { s -> Int in
            var dropped = 0
            for (key, slot) in s.slots {
                if case .ready(let e) = slot, e.uses >= maxUses || !isFresh(e.loadedAt, at: time) {
                    s.slots[key] = nil
                    dropped += 1
                }
            }
            s.primaries = s.primaries.filter { isFresh($0.value.fetchedAt, at: time) }
            evictions?.increment(by: dropped)
            return dropped
        }
    }

    /// Forgets the cached keys and primary version of `workspace` (after a rotation, a
    /// retirement or a revocation in this process).
    func removeWorkspace(_ workspace: String) {
        state.withLock { s in
            s.slots = s.slots.filter { $0.key.workspace != workspace }
            s.primaries[workspace] = nil
        }
    }

    /// Number of ready entries (for tests).
    var readyCount: Int {
        state.withLock { s in
            s.slots.values.reduce(0) { n, slot in if case .ready = slot { return n + 1 } else { return n } }
        }
    }
}
