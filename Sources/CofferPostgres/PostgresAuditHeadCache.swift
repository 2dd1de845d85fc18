public import Coffer
import CofferCrypto

/// The audit head this store instance last wrote, so that the next append can assume it is
/// still current and be one statement (``PostgresStore/appendAudit(count:chain:)``). When
/// another instance appended in between, the assumption misses (nothing is written) and the
/// append locks the head instead; after a miss the next ``lockedAppendsAfterMiss`` appends lock
/// directly, since instances of a busy fleet take turns on the head and would mostly miss.
/// It also counts this instance's puts in flight (``putStarted()``): a put writes its own
/// record only when it is alone.
final class PostgresAuditHeadCache: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    private struct State {
        var head: AuditChainHead?
        var lockedAppendsLeft = 0
        var putsInFlight = 0
        /// Puts started so far, and the count before which puts do not record themselves
        /// (set when puts were seen in flight together).
        var putsStarted: UInt64 = 0
        var sharedUntil: UInt64 = 0
    }

    private let state = PosixMutex(State())
    static let lockedAppendsAfterMiss = 32

    /// The head to chain after without locking, or nil to lock this time.
    func optimisticHead() -> AuditChainHead? {
        state.withLock { s in
            if s.lockedAppendsLeft > 0 {
                s.lockedAppendsLeft -= 1
                return nil
            }
            return s.head
        }
    }

    /// A put that could record itself starts; returns whether it should: only when it is the
    /// only put of this instance in flight and none of the last ``sharedPutsAfterOverlap`` puts
    /// overlapped another. With concurrent puts their records share the audit log's group
    /// commits instead of each holding the head row through its own commit (and a group commit
    /// running next to a put that records itself would find the head moved). Pair with
    /// ``putEnded()``.
    func putStarted() -> Bool {
        state.withLock { s in
            s.putsInFlight += 1
            s.putsStarted &+= 1
            if s.putsInFlight > 1 { s.sharedUntil = s.putsStarted &+ Self.sharedPutsAfterOverlap }
            return s.putsInFlight == 1 && s.putsStarted >= s.sharedUntil
        }
    }

    /// How many puts after two overlapped leave their records to group commit.
    static let sharedPutsAfterOverlap: UInt64 = 256

    /// The put of ``putStarted()`` has ended.
    func putEnded() {
        state.withLock { $0.putsInFlight -= 1 }
    }

    /// An append (or a put with its record) wrote `head`. Heads only move forward: a writer
    /// that reports after a later one of this instance does not set the head back.
    func wrote(_ head: AuditChainHead) {
        state.withLock { s in
            if let known = s.head, known.sequence > head.sequence { return }
            s.head = head
        }
    }

    /// A one-statement append found another head: forget ours and lock for a while.
    func missed() {
        state.withLock { s in
            s.head = nil
            s.lockedAppendsLeft = Self.lockedAppendsAfterMiss
        }
    }
}
