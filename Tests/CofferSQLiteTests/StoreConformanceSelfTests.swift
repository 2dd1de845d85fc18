import Coffer
import CofferSQLite
import CofferStoreConformance
import Foundation
import Testing

/// The conformance checks can fail: run against deliberately broken stores, their expectation
/// failures must reach the calling test (`withKnownIssue` fails when no issue is recorded).
@Suite("StoreConformance self-test")
struct StoreConformanceSelfTests {
    @Test func historyInWrongOrderIsCaught() async throws {
        let dir = try TempDirectory()
        let store = BrokenStore(base: try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger), flaw: .reversedHistory)
        await withKnownIssue {
            try await StoreConformance.check(named: "history lists every kept version oldest first").run(store)
        }
    }

    @Test func casIgnoredIsCaught() async throws {
        let dir = try TempDirectory()
        let store = BrokenStore(base: try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger), flaw: .ignoresCheckAndSet)
        await withKnownIssue {
            try await StoreConformance.check(named: "check-and-set: nil, 0 and N").run(store)
        }
    }

    @Test func checkNamesAreUnique() {
        let names = StoreConformance.checks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 20)
    }
}

/// A store that forwards to a real one but breaks one rule.
struct BrokenStore: SecretStore {
    enum Flaw: Sendable { case reversedHistory, ignoresCheckAndSet }
    let base: SQLiteStore
    let flaw: Flaw

    func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws {
        try await base.createWorkspace(workspace, firstDataKey: firstDataKey)
    }
    func workspace(_ id: String) async throws -> WorkspaceRecord? { try await base.workspace(id) }
    func listWorkspaces() async throws -> [WorkspaceRecord] { try await base.listWorkspaces() }
    func dataKeys(workspace: String) async throws -> [DataKeyRecord] { try await base.dataKeys(workspace: workspace) }
    func putSecretVersion(_ request: PutSecretRequest, seal: @Sendable (UInt32) throws -> [UInt8]) async throws -> SecretVersionInfo {
        var request = request
        if flaw == .ignoresCheckAndSet { request.expectedCurrentVersion = nil }
        return try await base.putSecretVersion(request, seal: seal)
    }
    func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion? {
        try await base.secretVersion(workspace: workspace, name: name, version: version)
    }
    func listSecrets(workspace: String) async throws -> [SecretSummary] { try await base.listSecrets(workspace: workspace) }
    func history(workspace: String, name: String) async throws -> [SecretVersionInfo] {
        let h = try await base.history(workspace: workspace, name: name)
        return flaw == .reversedHistory ? h.reversed() : h
    }
    func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32] {
        try await base.setDeleted(workspace: workspace, name: name, versions: versions, deletedAt: deletedAt)
    }
}
