import Coffer
import CofferCrypto
import CofferSQLite
import CofferStoreConformance
import Foundation
import Testing

/// The lifecycle checks can fail: run against deliberately broken stores, their expectation
/// failures must reach the calling test (`withKnownIssue` fails when no issue is recorded).
@Suite("Lifecycle conformance self-test")
struct SQLiteStoreLifecycleSelfTests {
    private func run(_ flaw: BrokenLifecycleStore.Flaw, _ check: String) async throws {
        let dir = try TempDirectory()
        let base = try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger)
        let store = BrokenLifecycleStore(base: base, flaw: flaw)
        await withKnownIssue {
            try await StoreConformance.lifecycleCheck(named: check).run(store)
        }
    }

    @Test func aBatchThatIsNotAtomicIsCaught() async throws {
        try await run(.nonAtomicBatch, "putSecretVersions is all or nothing: a conflict, an exhausted key or a throwing seal writes nothing")
    }

    @Test func aPurgeIgnoringTheCutoffIsCaught() async throws {
        try await run(.purgeIgnoresCutoff, "purgeDeletedSecretVersions removes only versions deleted at or before the cutoff, in order")
    }

    @Test func aDeletionThatHidesNothingIsCaught() async throws {
        try await run(.deletionIsNoop, "a deleted workspace has no readable secrets and keeps its data keys")
        try await run(.deletionIsNoop, "writes to a deleted workspace throw workspaceDeleted and change nothing; undelete restores it exactly")
    }

    @Test func aDroppedKeyGenerationIsCaught() async throws {
        try await run(.dropsKeyGeneration, "data keys are read with the workspace row's generation, never a stored one")
    }

    @Test func anAppendThatDoesNotChainOnTheHeadIsCaught() async throws {
        try await run(.appendFromGenesis, "appendAudit chains from genesis, stores records in order and the head")
    }

    @Test func aShredThatReportsNothingIsCaught() async throws {
        try await run(.shredReportsNothing, "shredWorkspace destroys keys and versions, leaves a tombstone, and is idempotent")
    }
}

/// A lifecycle store that forwards to a real one but breaks one rule.
struct BrokenLifecycleStore: ForwardingLifecycleStore {
    enum Flaw: Sendable { case nonAtomicBatch, purgeIgnoresCutoff, deletionIsNoop, dropsKeyGeneration, appendFromGenesis, shredReportsNothing }
    let base: SQLiteStore
    let flaw: Flaw

    func dataKeys(workspace: String) async throws -> [DataKeyRecord] {
        let keys = try await base.dataKeys(workspace: workspace)
        guard flaw == .dropsKeyGeneration else { return keys }
        return keys.map { var k = $0; k.keyGeneration = nil; return k }
    }
    func setWorkspaceDeleted(_ id: String, at deletedAt: Date?) async throws -> Bool {
        if flaw == .deletionIsNoop { return try await base.workspace(id) != nil }
        return try await base.setWorkspaceDeleted(id, at: deletedAt)
    }
    func shredWorkspace(_ id: String, now: Date, newKeyGeneration: String) async throws -> WorkspaceShredResult? {
        let result = try await base.shredWorkspace(id, now: now, newKeyGeneration: newKeyGeneration)
        return flaw == .shredReportsNothing ? nil : result
    }
    func purgeDeletedSecretVersions(deletedAtOrBefore cutoff: Date, limit: Int) async throws -> [PurgedSecretVersion] {
        try await base.purgeDeletedSecretVersions(deletedAtOrBefore: flaw == .purgeIgnoresCutoff ? .distantFuture : cutoff, limit: limit)
    }
    func putSecretVersions(
        _ requests: [PutSecretRequest], seal: @Sendable (Int, UInt32) throws -> [UInt8]
    ) async throws -> [SecretVersionInfo] {
        guard flaw == .nonAtomicBatch else { return try await base.putSecretVersions(requests, seal: seal) }
        var infos: [SecretVersionInfo] = []
        for (index, request) in requests.enumerated() {
            infos.append(try await base.putSecretVersion(request) { version in try seal(index, version) })
        }
        return infos
    }
    func appendAudit(
        count: Int, chain: @Sendable (AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> AuditChainHead {
        let fromGenesis = flaw == .appendFromGenesis
        return try await base.appendAudit(count: count) { head in try chain(fromGenesis ? .genesis : head) }
    }
}
