import Coffer
@testable import CofferPostgres
import Testing

/// When a PostgreSQL put may record itself (no server needed: the cache's bookkeeping).
@Suite("PostgreSQL audit head cache")
struct PostgresAuditHeadCacheTests {
    static func head(_ sequence: UInt64) -> AuditChainHead {
        AuditChainHead(sequence: sequence, mac: [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: 32), keyVersion: 1, seal: [1])
    }

    @Test func aPutRecordsItselfOnlyWhenNoPutOverlappedLately() {
        let cache = PostgresAuditHeadCache()
        #expect(cache.putStarted())
        cache.putEnded()
        #expect(cache.putStarted())      // alone
        #expect(!cache.putStarted())     // overlaps the first
        cache.putEnded()
        cache.putEnded()
        // The next puts leave their records to group commit, even one at a time.
        for _ in 0..<(PostgresAuditHeadCache.sharedPutsAfterOverlap - 1) {
            #expect(!cache.putStarted())
            cache.putEnded()
        }
        #expect(cache.putStarted())
        cache.putEnded()
    }

    @Test func theHeadNeverMovesBackAndAMissLocksForAWhile() {
        let cache = PostgresAuditHeadCache()
        #expect(cache.optimisticHead() == nil)
        cache.wrote(Self.head(5))
        cache.wrote(Self.head(4))          // a writer that reports late
        #expect(cache.optimisticHead() == Self.head(5))
        cache.missed()
        for _ in 0..<PostgresAuditHeadCache.lockedAppendsAfterMiss {
            #expect(cache.optimisticHead() == nil)
        }
        cache.wrote(Self.head(9))
        #expect(cache.optimisticHead() == Self.head(9))
    }
}
