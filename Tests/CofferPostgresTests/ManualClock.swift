import CofferCrypto
import Foundation

/// A clock tests can set and advance (the vault's `VaultConfiguration.now`).
final class ManualClock: Sendable {
    private let current: PosixMutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = PosixMutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
