public import Coffer
import CofferCrypto

/// The audit head this store instance last wrote, so that the next append can assume it is
/// still current and be one statement (``PostgresStore/appendAudit(count:chain:)``). When
/// another instance appended in between, the assumption misses (nothing is written) and the
/// append locks the head instead; after a miss the next ``lockedAppendsAfterMiss`` appends lock
/// directly, since instances of a busy fleet take turns on the head and would mostly miss.
final class PostgresAuditHeadCache: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    private struct State {
        var head: AuditChainHead?
        var lockedAppendsLeft = 0
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

    /// An append wrote `head`.
    func wrote(_ head: AuditChainHead) {
        state.withLock { $0.head = head }
    }

    /// A one-statement append found another head: forget ours and lock for a while.
    func missed() {
        state.withLock { s in
            s.head = nil
            s.lockedAppendsLeft = Self.lockedAppendsAfterMiss
        }
    }
}
