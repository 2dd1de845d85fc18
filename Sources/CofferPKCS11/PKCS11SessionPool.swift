import CPKCS11
import CofferCrypto

/// A bounded pool of logged-in PKCS#11 sessions, each with the handle of the KEK found in it.
///
/// At most ``capacity`` sessions are open; a task that finds none idle and the pool full waits
/// until one is given back. A session that the token reports lost (``PKCS11Module/isLostSession(_:)``:
/// closed, token removed or re-created, login gone) is closed together with every idle one,
/// and the call is retried once on a freshly opened session, so a re-inserted token is used
/// again without a restart.
final class PKCS11SessionPool: Sendable {
    /// A session and the KEK's object handle in it.
    struct Entry: Sendable {
        let session: PKCS11Token.Session
        let key: CK_OBJECT_HANDLE
    }

    /// Thrown by a body to say its session is lost; carries the Cryptoki return value.
    struct LostSession: Error {
        let rv: CK_RV
    }

    private struct State {
        var idle: [Entry] = []
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Most sessions open at once.
    let capacity: Int
    private let state = PosixMutex(State())
    private let opener: @Sendable () throws -> Entry
    private let closer: @Sendable (Entry) -> Void

    init(capacity: Int, open: @escaping @Sendable () throws -> Entry, close: @escaping @Sendable (Entry) -> Void) {
        precondition(capacity >= 1)
        self.capacity = capacity
        self.opener = open
        self.closer = close
    }

    /// Runs `body` with a session of its own. When `body` throws ``LostSession`` the idle
    /// sessions are dropped and `body` runs once more on a new session; a second loss is
    /// returned as the ``LostSession``.
    func withSession<R>(_ body: (Entry) throws -> R) async throws -> R {
        var attempt = 0
        while true {
            let entry = try await acquire()
            do {
                let result = try body(entry)
                release(entry, lost: false)
                return result
            } catch let lost as LostSession {
                release(entry, lost: true)
                dropIdle()
                attempt += 1
                if attempt >= 2 { throw lost }
            } catch {
                release(entry, lost: false)
                throw error
            }
        }
    }

    /// The idle sessions (for tests that close them behind the pool's back).
    var idleEntries: [Entry] { state.withLock { $0.idle } }

    /// Number of sessions open now (idle or in use).
    var openCount: Int { state.withLock { $0.open } }

    private func acquire() async throws -> Entry {
        while true {
            enum Step { case idle(Entry), open, wait }
            let step = state.withLock { s -> Step in
                if let e = s.idle.popLast() { return .idle(e) }
                if s.open < capacity {
                    s.open += 1
                    return .open
                }
                return .wait
            }
            switch step {
            case .idle(let e):
                return e
            case .open:
                do {
                    return try opener()
                } catch {
                    give(slots: 1)
                    throw error
                }
            case .wait:
                // Re-check under the lock before parking, so a release between the check above
                // and this point cannot be missed.
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if !s.idle.isEmpty || s.open < capacity { return true }
                        s.waiters.append(c)
                        return false
                    }
                    if now { c.resume() }
                }
            }
        }
    }

    private func release(_ entry: Entry, lost: Bool) {
        if lost {
            closer(entry)
            give(slots: 1)
        } else {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.idle.append(entry)
                return s.waiters.isEmpty ? nil : s.waiters.removeFirst()
            }
            waiter?.resume()
        }
    }

    /// Frees `slots` open-session slots and wakes as many waiters.
    private func give(slots: Int) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open -= slots
            let n = min(slots, s.waiters.count)
            let woken = Array(s.waiters.prefix(n))
            s.waiters.removeFirst(n)
            return woken
        }
        for w in waiters { w.resume() }
    }

    /// Closes every idle session (after a loss the others are most likely gone too).
    private func dropIdle() {
        let dropped = state.withLock { s -> [Entry] in
            let d = s.idle
            s.idle = []
            return d
        }
        guard !dropped.isEmpty else { return }
        for e in dropped { closer(e) }
        give(slots: dropped.count)
    }
}
