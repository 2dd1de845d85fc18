import CofferCrypto

/// A counter shared between tasks.
final class Counter: Sendable {
    private let count = PosixMutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
