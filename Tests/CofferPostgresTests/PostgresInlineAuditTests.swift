import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// `put_secret_audited` (schema migration 6): a put and its audit record in one statement when
/// the head this instance last wrote is still the head and nobody holds it; otherwise the put
/// alone, answered unaudited so the vault records it through its audit log.
@Suite(
    "PostgreSQL put with its audit record", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason),
    .timeLimit(.minutes(2)))
struct PostgresInlineAuditTests {
    typealias Multi = PostgresMultiInstanceTests
    typealias Link = PostgresLifecycleMultiInstanceTests

    /// A put's record chained after `head` with the test's fake MAC (see `Link.link`).
    static func putRecord(_ info: SecretVersionInfo, _ head: AuditChainHead) -> (records: [AuditRecord], head: AuditChainHead) {
        let sequence = head.sequence + 1
        let mac = Link.link(head.mac, sequence, info.name)
        let record = AuditRecord(
            sequence: sequence,
            event: AuditEvent(
                time: Link.epoch, actor: info.name, action: .put, outcome: .success, workspace: info.workspace,
                name: info.name, version: info.version, detail: "data key \(info.dataKeyVersion)"),
            keyVersion: 1, mac: mac)
        return ([record], AuditChainHead(sequence: sequence, mac: mac, keyVersion: 1, seal: [2]))
    }

    static func put(_ store: PostgresStore, _ name: String) async throws -> InlineAuditedPut {
        try await store.putSecretVersion(Multi.request(name), seal: { v in Array("\(name)@\(v)".utf8) }) { info, head in
            putRecord(info, head)
        }
    }

    @Test func aPutRecordsItselfOnlyAfterTheHeadItKnowsAndNeverWaitsForIt() async throws {
        try await Multi.withTwoInstances { a, b in
            try await Multi.createWorkspace(a, "w")
            // No head remembered yet: the put is stored alone.
            #expect(try await Self.put(a, "s1").audited == false)
            #expect(try await a.auditRecords(AuditQuery(limit: 100)).isEmpty)
            try await Link.append(a, "x1")          // locked append: a now knows the head
            let s2 = try await Self.put(a, "s2")
            #expect(s2.audited)
            #expect(s2.info.version == 1)

            // Another writer holds the head row: the put does not wait for it.
            let schema = "\"\(a.schema)\""
            try await PostgresTestEnvironment.withConnection(asApplication: false) { connection in
                try await connection.query("BEGIN", logger: PostgresTestEnvironment.logger)
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT sequence FROM \(schema).audit_head WHERE id FOR UPDATE"),
                    logger: PostgresTestEnvironment.logger
                ).collect()
                #expect(try await Self.put(a, "s3").audited == false)
                try await connection.query("COMMIT", logger: PostgresTestEnvironment.logger)
            }
            // The head did not move: a still knows it.
            #expect(try await Self.put(a, "s4").audited)

            // Another instance appends: a's head is stale, its next put is stored alone.
            try await Link.append(b, "y1")
            #expect(try await Self.put(a, "s5").audited == false)
            #expect(try await Self.put(a, "s6").audited == false)   // a locks for a while after a miss

            let records = try await b.auditRecords(AuditQuery(limit: 100))
            #expect(records.map(\.sequence) == [1, 2, 3, 4])
            #expect(records.map(\.event.actor) == ["x1", "s2", "s4", "y1"])
            #expect(records[1].event.action == .put && records[1].event.name == "s2" && records[1].event.version == 1)
            var mac = AuditChainHead.genesis.mac
            for record in records {
                mac = Link.link(mac, record.sequence, record.event.actor)
                #expect(record.mac == mac, "record \(record.sequence)")
            }
            let head = try await b.auditHead()
            #expect(head.sequence == 4 && head.mac == records.last?.mac)
            // Every put is stored, audited or not.
            for name in ["s1", "s2", "s3", "s4", "s5", "s6"] {
                let stored = try await b.secretVersion(workspace: "w", name: name, version: nil)
                #expect(stored?.ciphertext == Array("\(name)@1".utf8), "\(name)")
            }
        }
    }

    /// A refused put writes neither the version nor a record.
    @Test func aRefusedPutWritesNoRecord() async throws {
        try await Multi.withTwoInstances { a, _ in
            try await Multi.createWorkspace(a, "w")
            try await Link.append(a, "x1")
            #expect(try await Self.put(a, "s").audited)
            var conflicting = Multi.request("s")
            conflicting.expectedCurrentVersion = 0
            await #expect(throws: VaultError.self) {
                _ = try await a.putSecretVersion(conflicting, seal: { _ in [1] }) { info, head in Self.putRecord(info, head) }
            }
            #expect(try await a.auditRecords(AuditQuery(limit: 100)).map(\.event.actor) == ["x1", "s"])
            #expect(try await a.auditHead().sequence == 2)
        }
    }

    /// Vaults on two instances, eight tasks each, putting at once: every put has exactly one
    /// record (written with it or through the audit log) and the chain verifies.
    @Test func concurrentVaultPutsFromTwoInstancesHaveOneRecordEach() async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("w")
            try await f.otherInstance { other in
                let tasks = 8
                let puts = 12
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, vault) in [f.vault, other].enumerated() {
                        for task in 0..<tasks {
                            group.addTask {
                                let scope = try vault.workspace("w", actor: "i\(index)")
                                for i in 0..<puts {
                                    try await scope.put("i\(index)/t\(task)/\(i % 3)", value: SecretBytes(Array("v\(i)".utf8)))
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                try await f.vault.flushAudit()
                try await other.flushAudit()
                let records = try await f.vault.auditRecords(AuditQuery(limit: 10_000))
                let putRecords = records.filter { $0.event.action == .put }
                #expect(putRecords.count == 2 * tasks * puts)
                #expect(Set(putRecords.map { "\($0.event.name ?? "")@\($0.event.version ?? 0)" }).count == putRecords.count)
                #expect(records.map(\.sequence) == (1...UInt64(records.count)).map { $0 })
                let verification = try await f.vault.verifyAudit()
                #expect(verification.intact)
                #expect(verification.recordsChecked == records.count)
            }
        }
    }
}
