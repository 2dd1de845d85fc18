import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Synchronization
import Testing

/// Two PostgresStore instances (two pools) on one schema: audit appends serialise into one
/// gapless chain, and concurrent retention purges never remove a row twice.
@Suite("PostgresStore lifecycle across instances", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresLifecycleMultiInstanceTests {
    typealias Multi = PostgresMultiInstanceTests
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    /// A fake MAC that ties a record to its predecessor, so the test can check the chain the
    /// store kept: each record's mac is derived from the previous one and its own sequence.
    static func link(_ previous: [UInt8], _ sequence: UInt64, _ tag: String) -> [UInt8] {
        var out = previous
        let extra = Array("\(sequence):\(tag)".utf8)
        for (i, byte) in extra.enumerated() { out[i % 32] = out[i % 32] &* 31 &+ byte }
        return out
    }

    @Test func concurrentAppendsFromTwoInstancesFormOneGaplessChain() async throws {
        try await Multi.withTwoInstances { a, b in
            let tasksPerInstance = 6
            let appendsPerTask = 8
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, store) in [a, b].enumerated() {
                    for task in 0..<tasksPerInstance {
                        group.addTask {
                            for i in 0..<appendsPerTask {
                                let count = i % 3 + 1  // batches of 1, 2 and 3 records
                                let tag = "i\(index)t\(task)a\(i)"
                                _ = try await store.appendAudit(count: count) { head in
                                    var mac = head.mac
                                    var records: [AuditRecord] = []
                                    for k in 1...count {
                                        let sequence = head.sequence + UInt64(k)
                                        mac = Self.link(mac, sequence, tag)
                                        records.append(AuditRecord(
                                            sequence: sequence,
                                            event: AuditEvent(
                                                time: Self.epoch.addingTimeInterval(Double(sequence)), actor: tag, action: .get,
                                                outcome: .success, workspace: k == 2 ? nil : "w\(index)", name: nil,
                                                version: k == 3 ? UInt32(k) : nil, detail: k == 1 ? "batch \(count)" : nil),
                                            keyVersion: 1, mac: mac))
                                    }
                                    return (records, AuditChainHead(sequence: head.sequence + UInt64(count), mac: mac, keyVersion: 1, seal: [1]))
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let perTask = (0..<appendsPerTask).reduce(0) { $0 + $1 % 3 + 1 }
            let total = 2 * tasksPerInstance * perTask
            let records = try await a.auditRecords(AuditQuery(limit: 10_000))
            #expect(records.map(\.sequence) == (1...UInt64(total)).map { $0 })
            // Each record extends the chain of the one before it (the chain closure always saw
            // the true head): recompute every link.
            var mac = AuditChainHead.genesis.mac
            for record in records {
                mac = Self.link(mac, record.sequence, record.event.actor)
                #expect(record.mac == mac, "record \(record.sequence)")
            }
            let head = try await b.auditHead()
            #expect(head.sequence == UInt64(total))
            #expect(head.mac == records.last?.mac)
            // Optional columns round-trip.
            #expect(records.contains { $0.event.workspace == nil && $0.event.detail == nil && $0.event.version == nil })
            #expect(records.contains { $0.event.version == 3 })
            #expect(try await b.auditRecords(AuditQuery(workspace: "w1", limit: 10_000)).allSatisfy { $0.event.workspace == "w1" })
        }
    }

    /// The one-statement append assumes this instance's last head; when the other instance
    /// appended in between, that statement writes nothing and the append locks the head.
    /// Appends one `get` record by actor `tag` chained with ``link(_:_:_:)``; `chained` runs each
    /// time the store calls the chain closure.
    static func append(_ store: PostgresStore, _ tag: String, chained: @escaping @Sendable () -> Void = {}) async throws {
        _ = try await store.appendAudit(count: 1) { head in
            chained()
            let sequence = head.sequence + 1
            let mac = Self.link(head.mac, sequence, tag)
            let record = AuditRecord(
                sequence: sequence,
                event: AuditEvent(time: Self.epoch, actor: tag, action: .get, outcome: .success, workspace: nil, name: nil),
                keyVersion: 1, mac: mac)
            return ([record], AuditChainHead(sequence: sequence, mac: mac, keyVersion: 1, seal: [1]))
        }
    }

    @Test func aStaleHeadFallsBackToTheLockedAppend() async throws {
        try await Multi.withTwoInstances { a, b in
            let calls = Synchronization.Atomic<Int>(0)
            @Sendable func append(_ store: PostgresStore, _ tag: String) async throws {
                try await Self.append(store, tag) { calls.add(1, ordering: .relaxed) }
            }
            try await append(a, "a1")   // locked (nothing cached yet)
            try await append(a, "a2")   // one statement
            try await append(b, "b1")   // locked
            #expect(calls.load(ordering: .relaxed) == 3)
            try await append(a, "a3")   // a's head is stale: one statement misses, then locked
            #expect(calls.load(ordering: .relaxed) == 5)
            let records = try await b.auditRecords(AuditQuery(limit: 100))
            #expect(records.map(\.sequence) == [1, 2, 3, 4])
            #expect(records.map(\.event.actor) == ["a1", "a2", "b1", "a3"])
            var mac = AuditChainHead.genesis.mac
            for record in records {
                mac = Self.link(mac, record.sequence, record.event.actor)
                #expect(record.mac == mac, "record \(record.sequence)")
            }
            #expect(try await a.auditHead().sequence == 4)
        }
    }

    @Test func concurrentPurgesFromTwoInstancesNeverPurgeARowTwice() async throws {
        try await Multi.withTwoInstances { a, b in
            try await Multi.createWorkspace(a, "w")
            let names = (0..<6).map { "s\($0)" }
            for name in names {
                for _ in 0..<10 {
                    _ = try await a.putSecretVersion(Multi.request(name)) { v in [UInt8(v)] }
                }
                // Versions 1…8 deleted, 9 and 10 live.
                #expect(try await a.setDeleted(workspace: "w", name: name, versions: Array(1...8), deletedAt: Self.epoch).count == 8)
            }
            let expected = names.count * 8
            let purged = try await withThrowingTaskGroup(of: [PurgedSecretVersion].self) { group in
                for i in 0..<8 {
                    let store = i % 2 == 0 ? a : b
                    group.addTask {
                        var mine: [PurgedSecretVersion] = []
                        while true {
                            let batch = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: Self.epoch, limit: 3)
                            if batch.isEmpty { return mine }
                            mine += batch
                        }
                    }
                }
                var all: [PurgedSecretVersion] = []
                for try await part in group { all += part }
                return all
            }
            let keys = purged.map { "\($0.name)#\($0.version)" }
            #expect(keys.count == expected)
            #expect(Set(keys).count == expected, "a version was purged twice")
            for name in names {
                #expect(try await b.history(workspace: "w", name: name).map(\.version) == [9, 10])
            }
            #expect(try await a.purgeDeletedSecretVersions(deletedAtOrBefore: Self.epoch, limit: 100).isEmpty)
        }
    }
}
