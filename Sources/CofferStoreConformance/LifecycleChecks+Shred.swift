import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    static let shredChecks: [LifecycleCheck] = [
        LifecycleCheck("shredWorkspace destroys keys and versions, leaves a tombstone, and is idempotent") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await populatedWorkspace(store, "w")
            try await populatedWorkspace(store, "other", generation: 5)
            try await RotationFixtures.put(store, "w", "c", dek: 2)
            let otherBefore = try await L.fullState(store, "other")
            let now = F.epoch.addingTimeInterval(3_600)
            let result = try #require(try await store.shredWorkspace("w", now: now, newKeyGeneration: L.generation(8)))
            #expect(result.dataKeyVersionsDestroyed == [1, 2])
            // a#1 (soft-deleted), a#2, b#1, c#1.
            #expect(result.secretVersionsDestroyed == 4)
            let tomb = try #require(try await store.workspace("w"))
            #expect(F.sameInstant(tomb.shreddedAt, now))
            #expect(F.sameInstant(tomb.deletedAt, now), "a live workspace is deleted at the shred time")
            #expect(tomb.keyGeneration == L.generation(8))
            #expect(try await store.dataKeys(workspace: "w").isEmpty)
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(9), limit: 100).allSatisfy { $0.workspace == "other" })
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await store.history(workspace: "w", name: "a").isEmpty)
            #expect(try await store.secretVersion(workspace: "w", name: "b", version: 1) == nil)
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [1, 2], after: nil, limit: 100).isEmpty)
            #expect(try await store.dataKeyUsage(workspace: "w").isEmpty)
            #expect(try await store.listWorkspaces().map(\.id) == ["other", "w"])
            // Second call: nothing to do, nothing changes.
            #expect(try await store.shredWorkspace("w", now: now.addingTimeInterval(60), newKeyGeneration: L.generation(9)) == nil)
            let again = try #require(try await store.workspace("w"))
            #expect(again.keyGeneration == L.generation(8))
            #expect(F.sameInstant(again.shreddedAt, now))
            #expect(F.sameInstant(again.deletedAt, now))
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                _ = try await store.shredWorkspace("ghost", now: now, newKeyGeneration: L.generation(1))
            }
            #expect(try await store.workspace("ghost") == nil)
            #expect(try await L.fullState(store, "other") == otherBefore)
        },
        LifecycleCheck("shredding a deleted workspace keeps its deletion time; the id is retired for good") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await populatedWorkspace(store, "w")
            let deleted = F.epoch.addingTimeInterval(100)
            let now = F.epoch.addingTimeInterval(100 + 30 * 86_400)
            #expect(try await store.setWorkspaceDeleted("w", at: deleted))
            let result = try #require(try await store.shredWorkspace("w", now: now, newKeyGeneration: L.generation(7)))
            #expect(result == WorkspaceShredResult(dataKeyVersionsDestroyed: [1, 2], secretVersionsDestroyed: 3))
            let tomb = try #require(try await store.workspace("w"))
            #expect(F.sameInstant(tomb.deletedAt, deleted))
            #expect(F.sameInstant(tomb.shreddedAt, now))
            #expect(tomb.keyGeneration == L.generation(7))
            await refusedWrites(store, "w", expect: .workspaceShredded("w"))
            await #expect(throws: VaultError.workspaceExists("w")) {
                try await L.createWorkspace(store, "w", generation: 3)
            }
            #expect(try await store.dataKeys(workspace: "w").isEmpty)
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await store.workspace("w")?.keyGeneration == L.generation(7))
            #expect(try await store.workspacesDeleted(atOrBefore: now).isEmpty)
            // Nothing left for retention to find either.
            #expect(try await store.purgeDeletedSecretVersions(deletedAtOrBefore: now, limit: 100).isEmpty)
        },
        LifecycleCheck("concurrent shreds of one workspace: exactly one reports what it destroyed") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await populatedWorkspace(store, "w")
            let results = try await withThrowingTaskGroup(of: WorkspaceShredResult?.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        try await store.shredWorkspace("w", now: F.epoch.addingTimeInterval(Double(i)), newKeyGeneration: L.generation(UInt8(i)))
                    }
                }
                var all: [WorkspaceShredResult] = []
                for try await result in group { if let result { all.append(result) } }
                return all
            }
            try #require(results.count == 1)
            #expect(results[0] == WorkspaceShredResult(dataKeyVersionsDestroyed: [1, 2], secretVersionsDestroyed: 3))
            #expect(try await store.workspace("w")?.shreddedAt != nil)
        },
    ]
}
