import Foundation
import Testing
@testable import CofferCrypto

/// Issue 10 §4: a forged passphrase bundle cannot make the opener run Argon2id at more than
/// the accepted cost; the cost is refused first, as an invalid bundle.
@Suite struct ExportBundleCostCapTests {
    static let passphrase = SecretBytes(Array("cap test passphrase".utf8))

    /// `bundle` with its header's Argon2id cost replaced (offsets 6 and 14, u64 big-endian).
    static func withCost(_ bundle: [UInt8], ops: UInt64, mem: UInt64) -> [UInt8] {
        var out = bundle
        out.replaceSubrange(6..<14, with: (0..<8).map { UInt8(truncatingIfNeeded: ops >> (56 - 8 * UInt64($0))) })
        out.replaceSubrange(14..<22, with: (0..<8).map { UInt8(truncatingIfNeeded: mem >> (56 - 8 * UInt64($0))) })
        return out
    }

    @Test func theDefaultCapRefusesTheFormatsMaximumBeforeArgon2idRuns() throws {
        #expect(ExportBundle.defaultMaxCost == PassphraseKEKProvider.Cost(opsLimit: 4, memLimitBytes: 256 << 20))
        let bundle = try ExportBundle.seal(SecretBytes(TestSupport.pattern(8)), passphrase: Self.passphrase, cost: testCost)
        // Within the format's limits (32 passes, 1 GiB) but above the default cap: had Argon2id
        // run, the forged cost would fail authentication instead (and take ~25 s and 1 GiB).
        for (ops, mem) in [(UInt64(32), UInt64(1) << 30), (5, 8192), (1, (256 << 20) + 1024)] {
            let forged = Self.withCost(bundle, ops: ops, mem: mem)
            guard case .invalidBundle(let why) = TestSupport.cofferError({ _ = try ExportBundle.open(forged, passphrase: Self.passphrase) }) else {
                Issue.record("cost \(ops) passes / \(mem) bytes was not refused")
                continue
            }
            #expect(why.contains("Argon2id") && why.contains("\(ops) passes"), "\(why)")
        }
    }

    @Test func theOpenerCanLowerOrRaiseTheCap() throws {
        let cost = PassphraseKEKProvider.Cost(opsLimit: 2, memLimitBytes: 64 << 10)
        let bundle = try ExportBundle.seal(SecretBytes(TestSupport.pattern(8)), passphrase: Self.passphrase, cost: cost)
        #expect(try ExportBundle.open(bundle, passphrase: Self.passphrase).count == 8)
        for lower in [PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: 1 << 20), .init(opsLimit: 4, memLimitBytes: 32 << 10)] {
            guard case .invalidBundle = TestSupport.cofferError({ _ = try ExportBundle.open(bundle, passphrase: Self.passphrase, maxCost: lower) }) else {
                Issue.record("a cap of \(lower) accepted a bundle of \(cost)")
                continue
            }
        }
        #expect(try ExportBundle.open(bundle, passphrase: Self.passphrase, maxCost: cost).count == 8)
        // Raising the cap past the format's own limit does not lift that limit.
        let beyond = Self.withCost(bundle, ops: 33, mem: 64 << 10)
        guard case .invalidBundle = TestSupport.cofferError({
            _ = try ExportBundle.open(beyond, passphrase: Self.passphrase, maxCost: .init(opsLimit: 1000, memLimitBytes: 1 << 40))
        }) else {
            Issue.record("33 passes accepted")
            return
        }
    }
}
