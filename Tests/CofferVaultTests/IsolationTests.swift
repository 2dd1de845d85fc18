import Coffer
import CofferCrypto
import Foundation
import Testing

/// Workspace A's scope cannot read, list, overwrite or delete B's secrets through any API.
@Suite("Workspace isolation")
struct IsolationTests {
    /// What B looks like: every version's info and value.
    struct Snapshot: Equatable {
        var list: [SecretSummary]
        var histories: [String: [SecretVersionInfo]]
        var values: [String: [UInt32: [UInt8]]]
    }

    static func snapshot(_ scope: WorkspaceScope) async throws -> Snapshot {
        let list = try await scope.list()
        var histories: [String: [SecretVersionInfo]] = [:]
        var values: [String: [UInt32: [UInt8]]] = [:]
        for summary in list {
            let history = try await scope.history(summary.name)
            histories[summary.name] = history
            for info in history where info.deletedAt == nil {
                values[summary.name, default: [:]][info.version] = try await scope.get(summary.name, version: info.version).value.unprotectedArray()
            }
        }
        return Snapshot(list: list, histories: histories, values: values)
    }

    @Test("no operation through A's scope reads or changes B")
    func scopeCannotReachOtherWorkspace() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("tenant-a")
        try await f.vault.createWorkspace("tenant-b")
        let a = try f.vault.workspace("tenant-a")
        let b = try f.vault.workspace("tenant-b")

        try await b.put("shared/db", value: bytes("b-db-v1"))
        try await b.put("shared/db", value: bytes("b-db-v2"))
        try await b.put("b-only", value: bytes("b-only-value"))
        try await b.putOAuthToken("shared/oauth", OAuthTokenSet(accessToken: "b-access", refreshToken: "b-refresh"))
        try await a.put("shared/db", value: bytes("a-db-v1"))
        let before = try await Self.snapshot(b)

        func expectBUnchanged(_ step: String) async throws {
            let now = try await Self.snapshot(b)
            #expect(now == before, "B changed after A's \(step)")
        }

        // Reads through A see A's own data only.
        #expect(text(try await a.get("shared/db").value) == "a-db-v1")
        try await expectBUnchanged("get")
        await #expect(throws: VaultError.secretNotFound(workspace: "tenant-a", name: "b-only")) { try await a.get("b-only") }
        await #expect(throws: VaultError.secretNotFound(workspace: "tenant-a", name: "shared/oauth")) { try await a.oauthToken("shared/oauth") }
        await #expect(throws: VaultError.versionNotFound(workspace: "tenant-a", name: "shared/db", version: 2)) {
            try await a.get("shared/db", version: 2)
        }
        #expect(try await a.list().map(\.name) == ["shared/db"])
        #expect(try await a.history("shared/db").map(\.version) == [1])
        await #expect(throws: VaultError.secretNotFound(workspace: "tenant-a", name: "b-only")) { try await a.history("b-only") }
        try await expectBUnchanged("reads")

        // Writes through A land in A.
        let put = try await a.put("shared/db", value: bytes("a-db-v2"), expectedVersion: 1)
        #expect(put.workspace == "tenant-a" && put.version == 2)
        try await expectBUnchanged("put")
        // A's CAS uses A's versions, never B's.
        await #expect(throws: VaultError.checkAndSetConflict(workspace: "tenant-a", name: "b-only", expected: 1, actual: 0)) {
            try await a.put("b-only", value: bytes("a-overwrite"), expectedVersion: 1)
        }
        try await a.put("b-only", value: bytes("a-own-b-only"), expectedVersion: 0)
        try await a.putOAuthToken("shared/oauth", OAuthTokenSet(accessToken: "a-access"))
        try await a.putCloudCredentials("shared/cloud", CloudCredentials(accessKeyID: "AKIAA", secretAccessKey: "a-secret"))
        try await a.putWebhookSecret("shared/hook", WebhookSecret(secret: "a-hook"))
        _ = try await a.refreshOAuthToken("shared/oauth") { _ in OAuthTokenSet(accessToken: "a-access-2") }
        try await expectBUnchanged("writes")

        // Deletes through A touch A only.
        #expect(try await a.delete("shared/db", version: 1) == [1])
        #expect(try await a.delete("b-only") == [1])
        #expect(try await a.undelete("b-only") == [1])
        #expect(try await a.delete("shared/db") == [2])
        try await expectBUnchanged("deletes")
        await #expect(throws: VaultError.versionNotFound(workspace: "tenant-a", name: "shared/oauth", version: 9)) {
            try await a.delete("shared/oauth", version: 9)
        }
        try await expectBUnchanged("failed delete")

        // And B still reads its own values.
        #expect(text(try await b.get("shared/db").value) == "b-db-v2")
        #expect(text(try await b.get("b-only").value) == "b-only-value")
        #expect(try await b.oauthToken("shared/oauth").token.accessToken == "b-access")
        #expect(try await f.vault.workspaceInfo("tenant-b").secretCount == 3)
    }

    @Test("a scope for a workspace that does not exist fails with workspaceNotFound")
    func unknownWorkspace() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("real")
        try await f.vault.workspace("real").put("x", value: bytes("real-value"))
        let ghost = try f.vault.workspace("ghost")
        let notFound = VaultError.workspaceNotFound("ghost")
        await #expect(throws: notFound) { try await ghost.get("x") }
        await #expect(throws: notFound) { try await ghost.put("x", value: bytes("v")) }
        await #expect(throws: notFound) { try await ghost.list() }
        await #expect(throws: notFound) { try await ghost.history("x") }
        await #expect(throws: notFound) { try await ghost.delete("x") }
        await #expect(throws: notFound) { try await f.vault.workspaceInfo("ghost") }
    }

    @Test("workspace ids and secret names are validated")
    func names() async throws {
        let f = try VaultFixture()
        #expect(throws: VaultError.self) { try f.vault.workspace("Upper") }
        #expect(throws: VaultError.self) { try f.vault.workspace("../b") }
        await #expect(throws: VaultError.self) { try await f.vault.createWorkspace("") }
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        for bad in ["", "/x", "a//b", "a/../b", "a/", "spa ce", String(repeating: "n", count: 257)] {
            await #expect(throws: VaultError.self, "\(bad.prefix(20))") { try await w.put(bad, value: bytes("v")) }
            await #expect(throws: VaultError.self) { try await w.get(bad) }
        }
        do {
            _ = try await w.get("a/../b")
            Issue.record("expected invalidName")
        } catch let error as VaultError {
            guard case .invalidName = error else { Issue.record("expected invalidName, got \(error)"); return }
        }
    }
}
