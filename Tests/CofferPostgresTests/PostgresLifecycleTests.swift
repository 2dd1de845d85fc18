import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import PostgresNIO
import Testing

/// PostgreSQL-specific lifecycle behaviour (the store-independent behaviour is
/// `StoreConformance.lifecycleChecks`, run by `PostgresStoreLifecycleConformanceTests`).
@Suite("PostgresStore lifecycle", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresLifecycleTests {
    typealias Env = PostgresTestEnvironment
    typealias Multi = PostgresMultiInstanceTests
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    @Test func aDeletedWorkspaceReadsEmptyRefusesWritesAndComesBackWhole() async throws {
        try await Env.withStore { store, _ in
            try await Multi.createWorkspace(store, "w")
            _ = try await store.putSecretVersion(Multi.request("db")) { _ in [1] }
            _ = try await store.putSecretVersion(Multi.request("db")) { _ in [2] }
            #expect(try await store.setWorkspaceDeleted("w", at: Self.epoch))
            #expect(try await store.secretVersion(workspace: "w", name: "db", version: nil) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "db", version: 1) == nil)
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await store.history(workspace: "w", name: "db").isEmpty)
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 10).isEmpty)
            #expect(try await store.dataKeys(workspace: "w").count == 1)  // KEK rotation still sees them
            let denied = VaultError.workspaceDeleted("w")
            await #expect(throws: denied) { _ = try await store.putSecretVersion(Multi.request("db")) { _ in [3] } }
            await #expect(throws: denied) { _ = try await store.putSecretVersions([Multi.request("x")]) { _, _ in [3] } }
            await #expect(throws: denied) {
                _ = try await store.setDeleted(workspace: "w", name: "db", versions: nil, deletedAt: Self.epoch)
            }
            let key = DataKeyRecord(workspace: "w", version: 2, wrapped: WrappedDataKey(kekID: Multi.kek(1), ciphertext: [2]), createdAt: Self.epoch)
            await #expect(throws: denied) { _ = try await store.rotateDataKey(key, expectedPrimary: 1) }
            await #expect(throws: denied) { try await store.setRotationPolicy(workspace: "w", RotationPolicy(maxDataKeyAgeSeconds: 5)) }
            await #expect(throws: denied) { try await store.setMinimumDecryptionVersion(workspace: "w", 1) }
            await #expect(throws: denied) { try await store.destroyDataKey(workspace: "w", version: 1) }
            await #expect(throws: denied) {
                _ = try await store.replaceCiphertexts(
                    workspace: "w", [CiphertextReplacement(name: "db", version: 1, expectedDataKeyVersion: 1, newDataKeyVersion: 1, ciphertext: [9])],
                    encryptionLimit: nil)
            }
            // A purge does not touch a deleted workspace's deleted versions either.
            #expect(try await store.purgeDeletedSecretVersions(deletedAtOrBefore: Self.epoch.addingTimeInterval(1e6), limit: 10).isEmpty)
            #expect(try await store.setWorkspaceDeleted("w", at: nil))
            #expect(try await store.history(workspace: "w", name: "db").map(\.version) == [1, 2])
            #expect(try await store.secretVersion(workspace: "w", name: "db", version: nil)?.ciphertext == [2])
            #expect(try await store.workspace("w")?.rotationPolicy == nil)
            #expect(try await store.dataKeys(workspace: "w").map(\.encryptionCount) == [2])
        }
    }

    @Test func aBatchPutIsAllOrNothing() async throws {
        try await Env.withStore { store, _ in
            try await Multi.createWorkspace(store, "w")
            _ = try await store.putSecretVersion(Multi.request("b")) { _ in [1] }
            var conflicting = Multi.request("b")
            conflicting.expectedCurrentVersion = 0
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "b", expected: 0, actual: 1)) {
                _ = try await store.putSecretVersions([Multi.request("a"), conflicting, Multi.request("c")]) { _, _ in [7] }
            }
            #expect(try await store.listSecrets(workspace: "w").map(\.name) == ["b"])
            #expect(try await store.dataKeys(workspace: "w").first?.encryptionCount == 1)
            let infos = try await store.putSecretVersions([Multi.request("c"), Multi.request("b"), Multi.request("a")]) { index, _ in [UInt8(index)] }
            #expect(infos.map(\.name) == ["c", "b", "a"])
            #expect(infos.map(\.version) == [1, 2, 1])
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: nil)?.ciphertext == [2])
            #expect(try await store.dataKeys(workspace: "w").first?.encryptionCount == 4)
        }
    }

    @Test func auditPurgeMovesTheCheckpointForwardOnly() async throws {
        try await Env.withStore { store, _ in
            for _ in 0..<5 { try await PostgresLifecycleSecurityTests.appendOne(store) }
            #expect(try await store.lastAuditSequence(before: Self.epoch) == nil)
            #expect(try await store.lastAuditSequence(before: Self.epoch.addingTimeInterval(1)) == 5)
            let at3 = AuditCheckpoint(sequence: 3, mac: Array(repeating: 3, count: 32), createdAt: Self.epoch, keyVersion: 1, seal: [3])
            #expect(try await store.purgeAudit(through: at3) == 3)
            #expect(try await store.auditCheckpoint() == at3)
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [4, 5])
            let at2 = AuditCheckpoint(sequence: 2, mac: Array(repeating: 2, count: 32), createdAt: Self.epoch, keyVersion: 1, seal: [2])
            #expect(try await store.purgeAudit(through: at2) == 0)
            #expect(try await store.purgeAudit(through: at3) == 0)
            #expect(try await store.auditCheckpoint() == at3)
            let at4 = AuditCheckpoint(sequence: 4, mac: Array(repeating: 4, count: 32), createdAt: Self.epoch, keyVersion: 2, seal: [4])
            #expect(try await store.purgeAudit(through: at4) == 1)
            #expect(try await store.auditCheckpoint() == at4)
            #expect(try await store.auditRecords(AuditQuery(afterSequence: 0)).map(\.sequence) == [5])
            #expect(try await store.auditHead().sequence == 5)
        }
    }

    @Test func aThrowingChainOrAWrongNumberingWritesNothing() async throws {
        struct Refused: Error {}
        try await Env.withStore { store, _ in
            try await PostgresLifecycleSecurityTests.appendOne(store)
            let before = try await store.auditHead()
            await #expect(throws: Refused.self) {
                _ = try await store.appendAudit(count: 1) { _ in throw Refused() }
            }
            await #expect(throws: VaultError.self) {
                _ = try await store.appendAudit(count: 1) { head in
                    let record = AuditRecord(
                        sequence: head.sequence + 2,  // a gap
                        event: AuditEvent(time: Self.epoch, actor: "svc", action: .get, outcome: .success),
                        keyVersion: 1, mac: Array(repeating: 1, count: 32))
                    return ([record], AuditChainHead(sequence: record.sequence, mac: record.mac, keyVersion: 1, seal: [1]))
                }
            }
            #expect(try await store.auditHead() == before)
            #expect(try await store.auditRecords(AuditQuery()).map(\.sequence) == [1])
        }
    }
}
