import Dispatch
import Synchronization
import Testing
@testable import CofferCrypto

/// `PosixMutex`, the lock every module uses instead of `Synchronization.Mutex` (which
/// ThreadSanitizer cannot follow through a contended unlock, docs/SECURITY.md §4).
///
/// The guarded values are plain (non-atomic) Swift values written under heavy contention, so a
/// lock that did not exclude would lose updates or be seen twice inside, and a lock whose
/// hand-over TSan cannot see makes the TSan run of this suite report a race here.
@Suite("PosixMutex")
struct PosixMutexTests {
    /// Occupancy of the critical section, counted with an atomic outside the lock.
    final class Occupancy: Sendable {
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)

        func enter() {
            if inside.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
                overlaps.add(1, ordering: .relaxed)
            }
        }

        func leave() { inside.subtract(1, ordering: .sequentiallyConsistent) }
    }

    struct Tally: Sendable {
        var count = 0
        var log: [Int] = []
    }

    @Test("many concurrent tasks: one at a time inside, no update lost")
    func tasksExclude() async {
        let lock = PosixMutex(Tally())
        let occupancy = Occupancy()
        let tasks = 64, perTask = 500
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask {
                        lock.withLock { tally in
                            occupancy.enter()
                            // A read-modify-write spread over several steps, so an overlap
                            // would lose an update.
                            let before = tally.count
                            if i % 50 == 0 { tally.log.append(t) }
                            tally.count = before + 1
                            occupancy.leave()
                        }
                        if i % 100 == 0 { await Task.yield() }
                    }
                }
            }
        }
        let tally = lock.withLock { $0 }
        #expect(tally.count == tasks * perTask)
        #expect(tally.log.count == tasks * (perTask / 50))
        #expect(occupancy.overlaps.load(ordering: .relaxed) == 0)
    }

    @Test("threads blocked on the lock each get it in turn")
    func threadsExclude() {
        let lock = PosixMutex([Int]())
        let occupancy = Occupancy()
        let threads = 8, perThread = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                lock.withLock { list in
                    occupancy.enter()
                    list.append(t * perThread + i)
                    occupancy.leave()
                }
            }
        }
        let list = lock.withLock { $0 }
        #expect(list.count == threads * perThread)
        #expect(Set(list).count == threads * perThread)
        #expect(occupancy.overlaps.load(ordering: .relaxed) == 0)
        // Each thread's own appends stay in its order.
        for t in 0..<threads {
            let mine = list.filter { $0 / perThread == t }
            #expect(mine == Array(t * perThread..<(t + 1) * perThread))
        }
    }

    struct Refused: Error, Equatable {}

    @Test("a throwing closure releases the lock and keeps what it wrote")
    func throwingBodyUnlocks() {
        let lock = PosixMutex(0)
        #expect(throws: Refused.self) {
            try lock.withLock { (value: inout Int) throws(Refused) -> Void in
                value = 7
                throw Refused()
            }
        }
        // Not left locked (a second lock would deadlock), and the write is kept.
        #expect(lock.withLock { $0 } == 7)
        #expect(lock.withLock { value -> Int in value += 1; return value } == 8)
    }
}
