import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    static let auditKeyChecks: [LifecycleCheck] = [
        LifecycleCheck("audit keys: insert once per version, listed ascending, rewrapped only from the expected KEK") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            #expect(try await store.auditKeys().isEmpty)
            #expect(try await store.insertAuditKey(L.auditKeyRecord(version: 2)))
            #expect(try await store.insertAuditKey(L.auditKeyRecord(version: 1)))
            // Another process created version 2 first: nothing changes.
            #expect(try await store.insertAuditKey(L.auditKeyRecord(version: 2, seed: 5)) == false)
            let keys = try await store.auditKeys()
            #expect(keys.map(\.version) == [1, 2])
            #expect(keys.map(\.wrapped) == [L.auditKeyRecord(version: 1).wrapped, L.auditKeyRecord(version: 2).wrapped])
            #expect(F.sameInstant(keys.first?.createdAt, L.auditKeyRecord(version: 1).createdAt))
            let rewrapped = WrappedDataKey(kekID: F.kekID(3), ciphertext: Array("audit-rewrapped".utf8))
            #expect(try await store.rewrapAuditKey(version: 2, expectedKEKID: F.kekID(9), wrapped: rewrapped) == false)
            #expect(try await store.rewrapAuditKey(version: 7, expectedKEKID: F.kekID(1), wrapped: rewrapped) == false)
            #expect(try await store.auditKeys().map(\.wrapped) == keys.map(\.wrapped))
            #expect(try await store.rewrapAuditKey(version: 2, expectedKEKID: F.kekID(1), wrapped: rewrapped))
            #expect(try await store.auditKeys().map(\.wrapped) == [keys[0].wrapped, rewrapped])
            // A second run finds it already moved.
            #expect(try await store.rewrapAuditKey(version: 2, expectedKEKID: F.kekID(1), wrapped: rewrapped) == false)
            #expect(try await store.auditKeys().map(\.version) == [1, 2])
            // Audit keys are not data keys of any workspace.
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(9), limit: 100).isEmpty)
            #expect(try await store.dataKeyCountByKEK().isEmpty)
        },
    ]

    static let auditLogChecks: [LifecycleCheck] = [
        LifecycleCheck("appendAudit chains from genesis, stores records in order and the head") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            #expect(try await store.auditHead() == .genesis)
            #expect(try await store.auditRecords(AuditQuery()).isEmpty)
            #expect(try await store.auditCheckpoint() == nil)
            let seen = PosixMutex<[AuditChainHead]>([])
            let first = [
                L.event("alice", seconds: 1, name: "db-password", version: 3, detail: "n=1"),
                L.event("bob", workspace: nil, seconds: 2, action: .rotateKEK, outcome: .error),
            ]
            let head1 = try await store.appendAudit(count: 2) { head in
                seen.withLock { $0.append(head) }
                return try L.chain(first, after: head)
            }
            #expect(seen.withLock { $0 } == [.genesis])
            #expect(head1.sequence == 2)
            #expect(try await store.auditHead() == head1)
            let second = [L.event("carol", seconds: 3, action: .get, outcome: .notFound)]
            let head2 = try await store.appendAudit(count: 1) { head in
                seen.withLock { $0.append(head) }
                return try L.chain(second, after: head)
            }
            #expect(seen.withLock { $0 } == [.genesis, head1])
            #expect(head2.sequence == 3)
            #expect(try await store.auditHead() == head2)
            let expected = try L.chain(first, after: .genesis).records + L.chain(second, after: head1).records
            let stored = try await store.auditRecords(AuditQuery())
            #expect(stored.count == 3)
            #expect(zip(stored, expected).allSatisfy { L.sameRecord($0.0, $0.1) })
            #expect(try L.linked(stored, first: 1, previous: AuditChainHead.genesis.mac))
            #expect(stored.last?.mac == head2.mac)
        },
        LifecycleCheck("a throwing chain closure writes nothing") { store in
            typealias L = LifecycleFixtures
            let head = try await L.append(store, [L.event("a"), L.event("b")])
            struct ChainFailure: Error {}
            await #expect(throws: ChainFailure.self) {
                _ = try await store.appendAudit(count: 1) { _ in throw ChainFailure() }
            }
            #expect(try await store.auditHead() == head)
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [1, 2])
            let next = try await L.append(store, [L.event("c")])
            #expect(next.sequence == 3)
            #expect(try L.linked(try await store.auditRecords(AuditQuery()), first: 1, previous: AuditChainHead.genesis.mac))
        },
        LifecycleCheck("concurrent appends form one gapless chain") { store in
            typealias L = LifecycleFixtures
            let tasks = 12
            let perTask = 5
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        for i in 0..<perTask {
                            let events = (0...(i % 3)).map { L.event("t\(t)-\(i)-\($0)", seconds: Double(i)) }
                            _ = try await L.append(store, events)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = tasks * (0..<perTask).reduce(0) { $0 + $1 % 3 + 1 }
            let records = try await L.allRecords(store, pageSize: 7)
            #expect(records.map(\.sequence) == (1...UInt64(total)).map { $0 })
            #expect(Set(records.map(\.event.actor)).count == total)
            #expect(try L.linked(records, first: 1, previous: AuditChainHead.genesis.mac), "each append must chain on the previous commit")
            let head = try await store.auditHead()
            #expect(head.sequence == UInt64(total))
            #expect(head.mac == records.last?.mac)
        },
        LifecycleCheck("auditRecords filters by sequence, workspace and time, ascending, up to the limit") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            let events = [
                L.event("1", workspace: "a", seconds: 10),
                L.event("2", workspace: "b", seconds: 20),
                L.event("3", workspace: nil, seconds: 30),
                L.event("4", workspace: "a", seconds: 40),
                L.event("5", workspace: "a", seconds: 50),
                L.event("6", workspace: "b", seconds: 60),
            ]
            try await L.append(store, Array(events[0..<3]))
            try await L.append(store, Array(events[3...]))
            let actors = { (q: AuditQuery) in try await store.auditRecords(q).map(\.event.actor) }
            #expect(try await actors(AuditQuery()) == ["1", "2", "3", "4", "5", "6"])
            #expect(try await actors(AuditQuery(afterSequence: 2)) == ["3", "4", "5", "6"])
            #expect(try await actors(AuditQuery(afterSequence: 6)) == [])
            #expect(try await actors(AuditQuery(workspace: "a")) == ["1", "4", "5"])
            #expect(try await actors(AuditQuery(afterSequence: 1, workspace: "a")) == ["4", "5"])
            #expect(try await actors(AuditQuery(workspace: "ghost")) == [])
            #expect(try await actors(AuditQuery(since: F.epoch.addingTimeInterval(40))) == ["4", "5", "6"])
            #expect(try await actors(AuditQuery(since: F.epoch.addingTimeInterval(39.5))) == ["4", "5", "6"])
            #expect(try await actors(AuditQuery(workspace: "b", since: F.epoch.addingTimeInterval(21))) == ["6"])
            #expect(try await actors(AuditQuery(limit: 2)) == ["1", "2"])
            #expect(try await actors(AuditQuery(afterSequence: 3, limit: 2)) == ["4", "5"])
            #expect(try await actors(AuditQuery(workspace: "a", limit: 1)) == ["1"])
            #expect(try await actors(AuditQuery(limit: 0)) == [])
            // Every field round-trips.
            let full = L.event(
                "svc-billing", workspace: "a", seconds: 70.125, name: "stripe-key", version: 7, detail: "kind=conflict",
                action: .put, outcome: .conflict)
            try await L.append(store, [full])
            let got = try #require(try await store.auditRecords(AuditQuery(afterSequence: 6)).first)
            #expect(L.sameEvent(got.event, full))
            #expect(got.keyVersion == 1)
            #expect(got.mac.count == 32)
        },
        LifecycleCheck("lastAuditSequence(before:) is the last record strictly before the cutoff") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            #expect(try await store.lastAuditSequence(before: F.epoch.addingTimeInterval(1_000)) == nil)
            try await L.append(store, [10.0, 20, 30, 40].map { L.event("e\(Int($0))", seconds: $0) })
            let t = { (s: Double) in F.epoch.addingTimeInterval(s) }
            #expect(try await store.lastAuditSequence(before: t(10)) == nil)
            #expect(try await store.lastAuditSequence(before: t(10.5)) == 1)
            #expect(try await store.lastAuditSequence(before: t(30)) == 2)
            #expect(try await store.lastAuditSequence(before: t(30.001)) == 3)
            #expect(try await store.lastAuditSequence(before: t(1_000)) == 4)
        },
        LifecycleCheck("lastAuditSequence(before:) stops at the first record at or after the cutoff, even when a later one is older") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            // Record 4 is stamped before record 3: the clock went backwards.
            try await L.append(store, [10.0, 20, 50, 15, 60].map { L.event("e\(Int($0))", seconds: $0) })
            let t = { (s: Double) in F.epoch.addingTimeInterval(s) }
            #expect(try await store.lastAuditSequence(before: t(16)) == 1)   // not 4: record 2 is newer
            #expect(try await store.lastAuditSequence(before: t(30)) == 2)   // not 4: record 3 is newer
            #expect(try await store.lastAuditSequence(before: t(55)) == 4)
            #expect(try await store.lastAuditSequence(before: t(1_000)) == 5)
        },
        LifecycleCheck("readAuditSnapshot gives the state once, then every record after the checkpoint in pages, and stops when asked") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            /// (states seen, sequences of each page) of one snapshot read.
            func read(pageSize: Int, stopAfterPages: Int = .max) async throws -> ([AuditSnapshot], [[UInt64]]) {
                var states: [AuditSnapshot] = []
                var pages: [[UInt64]] = []
                try await store.readAuditSnapshot(pageSize: pageSize) { state in
                    states.append(state)
                    return true
                } records: { page in
                    pages.append(page.map(\.sequence))
                    return pages.count < stopAfterPages
                }
                return (states, pages)
            }
            let (empty, none) = try await read(pageSize: 2)
            #expect(empty.count == 1)
            #expect(empty.first?.head == nil || empty.first?.head == .genesis, "no head row, or the genesis row")
            #expect(empty.first?.checkpoint == nil && empty.first?.keys.isEmpty == true)
            #expect(none.isEmpty)

            #expect(try await store.insertAuditKey(L.auditKeyRecord(version: 1)))
            let head = try await L.append(store, (1...5).map { L.event("e\($0)", seconds: Double($0)) })
            let (states, pages) = try await read(pageSize: 2)
            #expect(states.map(\.head) == [head])
            #expect(states.first?.keys.map(\.version) == [1])
            #expect(pages == [[1, 2], [3, 4], [5]])
            #expect(try await read(pageSize: 2, stopAfterPages: 1).1 == [[1, 2]])

            let records = try await store.auditRecords(AuditQuery())
            let checkpoint = AuditCheckpoint(
                sequence: 3, mac: records[2].mac, createdAt: F.epoch.addingTimeInterval(100), keyVersion: 1, seal: Array("seal".utf8))
            #expect(try await store.purgeAudit(through: checkpoint) == 3)
            let (after, rest) = try await read(pageSize: 10)
            #expect(after.first?.checkpoint?.sequence == 3 && after.first?.checkpoint?.seal == checkpoint.seal)
            #expect(rest == [[4, 5]])
        },
        LifecycleCheck("purgeAudit deletes through the checkpoint and stores it; older or equal checkpoints change nothing") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.append(store, (1...6).map { L.event("e\($0)", seconds: Double($0)) })
            let head = try await store.auditHead()
            let records = try await store.auditRecords(AuditQuery())
            let checkpoint = { (sequence: UInt64, seconds: Double) in
                AuditCheckpoint(
                    sequence: sequence, mac: records[Int(sequence) - 1].mac, createdAt: F.epoch.addingTimeInterval(seconds),
                    keyVersion: 1, seal: Array("seal-\(sequence)".utf8))
            }
            let three = checkpoint(3, 100)
            #expect(try await store.purgeAudit(through: three) == 3)
            let stored = try #require(try await store.auditCheckpoint())
            #expect(stored.sequence == 3)
            #expect(stored.mac == three.mac)
            #expect(stored.keyVersion == 1)
            #expect(stored.seal == three.seal)
            #expect(F.sameInstant(stored.createdAt, three.createdAt))
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [4, 5, 6])
            #expect(try await store.auditHead() == head)
            // Older or equal: nothing deleted, the stored checkpoint stays.
            #expect(try await store.purgeAudit(through: checkpoint(2, 200)) == 0)
            #expect(try await store.purgeAudit(through: checkpoint(3, 300)) == 0)
            #expect(try await store.auditCheckpoint()?.seal == three.seal)
            #expect(F.sameInstant(try await store.auditCheckpoint()?.createdAt, three.createdAt))
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [4, 5, 6])
            #expect(try await store.lastAuditSequence(before: F.epoch.addingTimeInterval(2.5)) == nil)
            // Newer: deletes the rest through it.
            #expect(try await store.purgeAudit(through: checkpoint(5, 400)) == 2)
            #expect(try await store.auditCheckpoint()?.sequence == 5)
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [6])
            // Appends continue the chain after the head, not after the checkpoint.
            let next = try await L.append(store, [L.event("e7", seconds: 7)])
            #expect(next.sequence == 7)
            let kept = try await store.auditRecords(AuditQuery())
            #expect(try L.linked(kept, first: 6, previous: records[4].mac))
        },
    ]
}
