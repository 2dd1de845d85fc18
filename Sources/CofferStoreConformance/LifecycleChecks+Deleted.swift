import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    /// Every write of the contract that must refuse a deleted or shredded workspace, each
    /// aimed at `workspace` (which has secret "a" versions 1…2 and data keys 1…2 before it was
    /// deleted).
    static func refusedWrites(
        _ store: any LifecycleSecretStore, _ workspace: String, expect error: VaultError
    ) async {
        typealias F = ConformanceFixtures
        typealias R = RotationFixtures
        await #expect(throws: error, "putSecretVersion") {
            try await R.put(store, workspace, "new", dek: 2)
        }
        await #expect(throws: error, "putSecretVersion on an existing secret") {
            try await R.put(store, workspace, "a", dek: 2)
        }
        await #expect(throws: error, "putSecretVersions") {
            var request = F.request(workspace, "batch")
            request.dataKeyVersion = 2
            _ = try await store.putSecretVersions([request]) { _, _ in [1] }
        }
        await #expect(throws: error, "setDeleted") {
            _ = try await store.setDeleted(workspace: workspace, name: "a", versions: nil, deletedAt: F.epoch)
        }
        await #expect(throws: error, "setDeleted (undelete)") {
            _ = try await store.setDeleted(workspace: workspace, name: "a", versions: [1], deletedAt: nil)
        }
        await #expect(throws: error, "replaceCiphertexts") {
            _ = try await store.replaceCiphertexts(
                workspace: workspace,
                [CiphertextReplacement(name: "a", version: 1, expectedDataKeyVersion: 1, newDataKeyVersion: 2, ciphertext: [9])],
                encryptionLimit: nil)
        }
        await #expect(throws: error, "rotateDataKey") {
            _ = try await store.rotateDataKey(F.dataKey(workspace, version: 3), expectedPrimary: 2)
        }
        await #expect(throws: error, "setMinimumDecryptionVersion") {
            try await store.setMinimumDecryptionVersion(workspace: workspace, 2)
        }
        await #expect(throws: error, "destroyDataKey") {
            try await store.destroyDataKey(workspace: workspace, version: 1)
        }
        await #expect(throws: error, "setRotationPolicy") {
            try await store.setRotationPolicy(workspace: workspace, RotationPolicy(maxEncryptionsPerDataKey: 3))
        }
    }

    /// Workspace `id` with secret "a" (versions 1 and 2, version 1 soft-deleted) under data
    /// key 1, secret "b" under data key 2, and data keys 1…2.
    static func populatedWorkspace(_ store: any LifecycleSecretStore, _ id: String, generation: UInt8 = 1) async throws {
        typealias F = ConformanceFixtures
        typealias L = LifecycleFixtures
        typealias R = RotationFixtures
        try await L.createWorkspace(store, id, generation: generation)
        try await R.put(store, id, "a")
        try await R.put(store, id, "a")
        _ = try await store.setDeleted(workspace: id, name: "a", versions: [1], deletedAt: F.epoch)
        #expect(try await R.rotate(store, id, to: 2))
        try await R.put(store, id, "b", dek: 2)
    }

    static let deletedWorkspaceChecks: [LifecycleCheck] = [
        LifecycleCheck("a deleted workspace has no readable secrets and keeps its data keys") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await populatedWorkspace(store, "w")
            try await populatedWorkspace(store, "other", generation: 5)
            let keysBefore = try await store.dataKeys(workspace: "w")
            #expect(try await store.setWorkspaceDeleted("w", at: F.epoch.addingTimeInterval(5)))
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: nil) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 2) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 1) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "b", version: nil) == nil)
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await store.history(workspace: "w", name: "a").isEmpty)
            #expect(try await store.history(workspace: "w", name: "b").isEmpty)
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [1, 2], after: nil, limit: 100).isEmpty)
            // Data keys stay visible (KEK rotation re-wraps them) and re-wrappable.
            #expect(try await store.dataKeys(workspace: "w") == keysBefore)
            let pending = try await store.dataKeys(notWrappedBy: F.kekID(9), limit: 100)
            #expect(pending.filter { $0.workspace == "w" }.map(\.version) == [1, 2])
            let rewrapped = WrappedDataKey(kekID: F.kekID(9), ciphertext: Array("rewrapped".utf8))
            #expect(try await store.rewrapDataKeys([
                DataKeyRewrap(workspace: "w", version: 1, expectedKEKID: F.kekID(1), wrapped: rewrapped),
            ]) == 1)
            #expect(try await store.dataKeys(workspace: "w").first?.wrapped == rewrapped)
            // The workspace itself is still there, with its state.
            let ws = try #require(try await store.workspace("w"))
            #expect(F.sameInstant(ws.deletedAt, F.epoch.addingTimeInterval(5)))
            #expect(ws.keyGeneration == L.generation(1))
            #expect(ws.primaryDataKeyVersion == 2)
            // The other workspace reads as before.
            #expect(try await store.secretVersion(workspace: "other", name: "a", version: nil)?.ciphertext == F.value("other", "a", 2))
            #expect(try await store.listSecrets(workspace: "other").map(\.name) == ["a", "b"])
            #expect(try await store.secretVersions(workspace: "other", sealedUnder: [1, 2], after: nil, limit: 100).count == 3)
        },
        LifecycleCheck("writes to a deleted workspace throw workspaceDeleted and change nothing; undelete restores it exactly") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await populatedWorkspace(store, "w")
            try await populatedWorkspace(store, "other", generation: 5)
            let before = try await L.fullState(store, "w")
            let otherBefore = try await L.fullState(store, "other")
            #expect(try await store.setWorkspaceDeleted("w", at: F.epoch.addingTimeInterval(5)))
            await refusedWrites(store, "w", expect: .workspaceDeleted("w"))
            await #expect(throws: VaultError.workspaceExists("w")) {
                try await L.createWorkspace(store, "w", generation: 2)
            }
            #expect(try await store.workspace("w")?.keyGeneration == L.generation(1))
            #expect(try await store.setWorkspaceDeleted("w", at: nil))
            #expect(try await L.fullState(store, "w") == before)
            #expect(try await L.fullState(store, "other") == otherBefore)
            // Writable again.
            #expect(try await RotationFixtures.put(store, "w", "a", dek: 2).version == 3)
        },
        LifecycleCheck("a batch put into a deleted workspace writes nothing, even for other requests") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.createWorkspace(store, "w")
            try await F.put(store, "w", "a")
            #expect(try await store.setWorkspaceDeleted("w", at: F.epoch))
            await #expect(throws: VaultError.workspaceDeleted("w")) {
                _ = try await store.putSecretVersions([F.request("w", "a"), F.request("w", "b")]) { _, v in [UInt8(v)] }
            }
            #expect(try await store.setWorkspaceDeleted("w", at: nil))
            #expect(try await F.versions(store, "w", "a") == [1])
            #expect(try await F.versions(store, "w", "b").isEmpty)
            #expect(try await RotationFixtures.count(store, "w", 1) == 1)
        },
    ]
}
