import Coffer
import CofferCrypto
import Foundation
import Testing

/// Check-and-set, soft delete/undelete, version limits and workspace info.
@Suite("Versions, check-and-set and soft delete")
struct VersioningTests {
    @Test("check-and-set: a distinct conflict error carrying expected and actual")
    func checkAndSet() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        #expect(try await w.put("n", value: bytes("one"), expectedVersion: 0).version == 1)
        await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "n", expected: 0, actual: 1)) {
            try await w.put("n", value: bytes("again"), expectedVersion: 0)
        }
        #expect(try await w.put("n", value: bytes("two"), expectedVersion: 1).version == 2)
        do {
            try await w.put("n", value: bytes("stale"), expectedVersion: 1)
            Issue.record("stale write succeeded")
        } catch let error as VaultError {
            guard case .checkAndSetConflict(_, _, let expected, let actual) = error else {
                Issue.record("expected a check-and-set conflict, got \(error)"); return
            }
            #expect(expected == 1 && actual == 2)
            #expect(error != .authenticationFailed && error != .versionNotFound(workspace: "w", name: "n", version: 1))
        }
        await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "other", expected: 3, actual: 0)) {
            try await w.put("other", value: bytes("x"), expectedVersion: 3)
        }
        // Failed writes wrote nothing.
        #expect(try await w.history("n").map(\.version) == [1, 2])
        #expect(text(try await w.get("n").value) == "two")
        await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "other")) { try await w.get("other") }
    }

    @Test("soft delete and undelete of one version")
    func deleteOneVersion() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        for i in 1...3 { try await w.put("n", value: bytes("value-\(i)")) }
        f.clock.advance(by: 10)
        #expect(try await w.delete("n", version: 2) == [2])
        #expect(try await w.delete("n", version: 2) == [])
        await #expect(throws: VaultError.versionDeleted(workspace: "w", name: "n", version: 2)) { try await w.get("n", version: 2) }
        #expect(text(try await w.get("n").value) == "value-3")
        #expect(text(try await w.get("n", version: 1).value) == "value-1")
        let history = try await w.history("n")
        #expect(history.map(\.version) == [1, 2, 3])
        #expect(history.map { $0.deletedAt != nil } == [false, true, false])
        #expect(history[1].deletedAt == f.clock.now)
        let summary = try #require(try await w.list().first)
        #expect(summary.versionCount == 3 && summary.liveVersionCount == 2 && summary.currentVersion == 3)

        #expect(try await w.undelete("n", version: 2) == [2])
        #expect(try await w.undelete("n", version: 2) == [])
        #expect(text(try await w.get("n", version: 2).value) == "value-2")

        await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "n", version: 7)) { try await w.delete("n", version: 7) }
        await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "n", version: 7)) { try await w.undelete("n", version: 7) }
        await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "n", version: 7)) { try await w.get("n", version: 7) }
        await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "nope")) { try await w.delete("nope") }
        await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "nope")) { try await w.undelete("nope") }
    }

    @Test("soft delete and undelete of a whole secret")
    func deleteWholeSecret() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        for i in 1...3 { try await w.put("n", value: bytes("value-\(i)")) }
        try await w.put("keep", value: bytes("kept"))
        #expect(try await f.vault.workspaceInfo("w").secretCount == 2)

        #expect(try await w.delete("n", version: 1) == [1])
        #expect(try await w.delete("n") == [2, 3])
        for v: UInt32 in 1...3 {
            await #expect(throws: VaultError.versionDeleted(workspace: "w", name: "n", version: v)) { try await w.get("n", version: v) }
        }
        await #expect(throws: VaultError.versionDeleted(workspace: "w", name: "n", version: 3)) { try await w.get("n") }
        #expect(try await w.list().map(\.name) == ["keep", "n"])
        #expect(try await w.list().first { $0.name == "n" }?.liveVersionCount == 0)
        #expect(try await f.vault.workspaceInfo("w").secretCount == 1)

        #expect(try await w.undelete("n") == [1, 2, 3])
        #expect(text(try await w.get("n").value) == "value-3")
        #expect(text(try await w.get("n", version: 1).value) == "value-1")
        #expect(try await f.vault.workspaceInfo("w").secretCount == 2)
    }

    @Test("max versions: the oldest are pruned and numbers are never reused")
    func maxVersions() async throws {
        let f = try VaultFixture { $0.maxVersionsPerSecret = 3 }
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        for i in 1...5 { try await w.put("n", value: bytes("value-\(i)")) }
        #expect(try await w.history("n").map(\.version) == [3, 4, 5])
        await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "n", version: 1)) { try await w.get("n", version: 1) }
        await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "n", version: 2)) { try await w.get("n", version: 2) }
        #expect(text(try await w.get("n", version: 3).value) == "value-3")

        // Deleted versions count too, and deleting everything does not reset the numbering.
        try await w.delete("n")
        #expect(try await w.put("n", value: bytes("value-6")).version == 6)
        #expect(try await w.history("n").map(\.version) == [4, 5, 6])
        #expect(text(try await w.get("n").value) == "value-6")
        let summary = try #require(try await w.list().first)
        #expect(summary.versionCount == 3 && summary.currentVersion == 6 && summary.liveVersionCount == 1)
    }

    @Test("workspace creation and info")
    func workspaceInfo() async throws {
        let f = try VaultFixture()
        let created = try await f.vault.createWorkspace("acme")
        #expect(created.id == "acme" && created.primaryDataKeyVersion == 1 && created.secretCount == 0)
        #expect(created.dataKeys == [DataKeyInfo(version: 1, createdAt: f.clock.now, kekID: f.kek.id)])
        #expect(created.createdAt == f.clock.now)
        await #expect(throws: VaultError.workspaceExists("acme")) { try await f.vault.createWorkspace("acme") }
        try await f.vault.createWorkspace("beta")
        #expect(try await f.vault.listWorkspaces().map(\.id) == ["acme", "beta"])

        let acme = try f.vault.workspace("acme")
        try await acme.put("a", value: bytes("1"))
        try await acme.put("b", value: bytes("2"))
        try await acme.put("b", value: bytes("3"))
        let info = try await f.vault.workspaceInfo("acme")
        #expect(info.id == "acme" && info.secretCount == 2 && info.dataKeys == created.dataKeys && info.createdAt == created.createdAt)
        #expect(try await acme.history("b").allSatisfy { $0.dataKeyVersion == 1 })
    }

    @Test("metadata and labels are stored with each version")
    func metadata() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        let expiry = Date(timeIntervalSince1970: 1_900_000_000)
        let meta = SecretMetadata(kind: .raw, contentType: "text/plain", labels: ["team": "payments", "env": "prod"], expiresAt: expiry)
        let info = try await w.put("n", value: bytes("plain-value-xyz"), metadata: meta)
        #expect(info.metadata == meta)
        let read = try await w.get("n")
        #expect(read.info.metadata == meta && read.info.createdAt == f.clock.now && read.info.deletedAt == nil)
        #expect(!"\(read)".contains("plain-value-xyz") && "\(read)".contains("redacted"))
        #expect(text(read.value) == "plain-value-xyz")
    }
}
