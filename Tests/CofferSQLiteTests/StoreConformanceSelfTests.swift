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
struct BrokenStore: ForwardingStore {
    enum Flaw: Sendable { case reversedHistory, ignoresCheckAndSet }
    let base: SQLiteStore
    let flaw: Flaw

    func putSecretVersion(_ request: PutSecretRequest, seal: @Sendable (UInt32) throws -> [UInt8]) async throws -> SecretVersionInfo {
        var request = request
        if flaw == .ignoresCheckAndSet { request.expectedCurrentVersion = nil }
        return try await base.putSecretVersion(request, seal: seal)
    }
    func history(workspace: String, name: String) async throws -> [SecretVersionInfo] {
        let h = try await base.history(workspace: workspace, name: name)
        return flaw == .reversedHistory ? h.reversed() : h
    }
}
