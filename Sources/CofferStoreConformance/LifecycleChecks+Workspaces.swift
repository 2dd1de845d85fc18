import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    static let workspaceStateChecks: [LifecycleCheck] = [
        LifecycleCheck("createWorkspace stores the key generation; reads return generation and state") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.createWorkspace(store, "b", generation: 2)
            try await F.createWorkspace(store, "a")  // no generation (a pre-generation workspace)
            let b = try #require(try await store.workspace("b"))
            #expect(b.keyGeneration == L.generation(2))
            #expect(b.deletedAt == nil)
            #expect(b.shreddedAt == nil)
            let a = try #require(try await store.workspace("a"))
            #expect(a.keyGeneration == nil)
            #expect(a.deletedAt == nil)
            #expect(a.shreddedAt == nil)
            let listed = try await store.listWorkspaces()
            #expect(listed.map(\.id) == ["a", "b"])
            #expect(listed.map(\.keyGeneration) == [nil, L.generation(2)])
            #expect(listed.allSatisfy { $0.deletedAt == nil && $0.shreddedAt == nil })
            // List shows the deletion state too.
            let when = F.epoch.addingTimeInterval(50)
            #expect(try await store.setWorkspaceDeleted("b", at: when))
            let afterDelete = try await store.listWorkspaces()
            #expect(afterDelete.map(\.id) == ["a", "b"])
            #expect(afterDelete[0].deletedAt == nil)
            #expect(F.sameInstant(afterDelete[1].deletedAt, when))
            #expect(afterDelete[1].shreddedAt == nil)
            #expect(afterDelete[1].keyGeneration == L.generation(2))
        },
        LifecycleCheck("data keys are read with the workspace row's generation, never a stored one") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            var record = F.workspaceRecord("w")
            record.keyGeneration = L.generation(3)
            var first = F.dataKey("w")
            first.keyGeneration = L.generation(9)  // ignored: stores never store it
            try await store.createWorkspace(record, firstDataKey: first)
            try await F.createWorkspace(store, "old")
            var second = F.dataKey("w", version: 2, seed: 2)
            second.keyGeneration = "bogus"
            #expect(try await store.rotateDataKey(second, expectedPrimary: 1))
            let keys = try await store.dataKeys(workspace: "w")
            #expect(keys.map(\.version) == [1, 2])
            #expect(keys.allSatisfy { $0.keyGeneration == L.generation(3) })
            #expect(keys.map(\.wrapBinding) == ["w#" + L.generation(3), "w#" + L.generation(3)])
            #expect(try await store.dataKeys(workspace: "old").map(\.keyGeneration) == [nil])
            #expect(try await store.dataKeys(workspace: "old").first?.wrapBinding == "old")
            let all = try await store.dataKeys(notWrappedBy: F.kekID(7), limit: 100)
            #expect(all.map { "\($0.workspace)\($0.version)" } == ["old1", "w1", "w2"])
            #expect(all.map(\.keyGeneration) == [nil, L.generation(3), L.generation(3)])
            // Rewraps keep reading the workspace's generation.
            #expect(try await store.rewrapDataKeys([
                DataKeyRewrap(
                    workspace: "w", version: 1, expectedKEKID: F.kekID(1),
                    wrapped: WrappedDataKey(kekID: F.kekID(2), ciphertext: [1, 2, 3])),
            ]) == 1)
            #expect(try await store.dataKeys(workspace: "w").map(\.keyGeneration) == [L.generation(3), L.generation(3)])
            // A shred replaces the generation on the row (and leaves no keys to read with it).
            _ = try await store.shredWorkspace("w", now: F.epoch, newKeyGeneration: L.generation(4))
            #expect(try await store.workspace("w")?.keyGeneration == L.generation(4))
            #expect(try await store.dataKeys(workspace: "w").isEmpty)
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(7), limit: 100).map(\.workspace) == ["old"])
        },
        LifecycleCheck("setWorkspaceDeleted: delete, again, undelete, unknown and shredded") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.createWorkspace(store, "w")
            let first = F.epoch.addingTimeInterval(10)
            #expect(try await store.setWorkspaceDeleted("w", at: first))
            #expect(F.sameInstant(try await store.workspace("w")?.deletedAt, first))
            // Already deleted: false, and the first deletion time stays.
            #expect(try await store.setWorkspaceDeleted("w", at: first.addingTimeInterval(99)) == false)
            #expect(F.sameInstant(try await store.workspace("w")?.deletedAt, first))
            #expect(try await store.setWorkspaceDeleted("w", at: nil))
            #expect(try await store.workspace("w")?.deletedAt == nil)
            #expect(try await store.setWorkspaceDeleted("w", at: nil) == false)
            #expect(try await store.workspace("w")?.deletedAt == nil)
            #expect(try await store.workspace("w")?.keyGeneration == L.generation(1))
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                _ = try await store.setWorkspaceDeleted("ghost", at: first)
            }
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                _ = try await store.setWorkspaceDeleted("ghost", at: nil)
            }
            #expect(try await store.workspace("ghost") == nil)
            _ = try #require(try await store.shredWorkspace("w", now: first, newKeyGeneration: L.generation(2)))
            await #expect(throws: VaultError.workspaceShredded("w")) {
                _ = try await store.setWorkspaceDeleted("w", at: nil)
            }
            await #expect(throws: VaultError.workspaceShredded("w")) {
                _ = try await store.setWorkspaceDeleted("w", at: first.addingTimeInterval(1))
            }
            let tomb = try #require(try await store.workspace("w"))
            #expect(F.sameInstant(tomb.deletedAt, first))
            #expect(F.sameInstant(tomb.shreddedAt, first))
        },
        LifecycleCheck("workspacesDeleted(atOrBefore:) is inclusive, ordered by id, without live or shredded ones") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            for id in ["e", "d", "c", "b", "a", "live"] { try await L.createWorkspace(store, id) }
            let t = { (s: Double) in F.epoch.addingTimeInterval(s) }
            #expect(try await store.setWorkspaceDeleted("e", at: t(10)))
            #expect(try await store.setWorkspaceDeleted("d", at: t(20)))
            #expect(try await store.setWorkspaceDeleted("c", at: t(30)))
            #expect(try await store.setWorkspaceDeleted("b", at: t(10)))
            #expect(try await store.setWorkspaceDeleted("a", at: t(5)))
            #expect(try await store.workspacesDeleted(atOrBefore: t(4)).isEmpty)
            #expect(try await store.workspacesDeleted(atOrBefore: t(5)).map(\.id) == ["a"])
            #expect(try await store.workspacesDeleted(atOrBefore: t(10)).map(\.id) == ["a", "b", "e"])
            #expect(try await store.workspacesDeleted(atOrBefore: t(19.999)).map(\.id) == ["a", "b", "e"])
            #expect(try await store.workspacesDeleted(atOrBefore: t(20)).map(\.id) == ["a", "b", "d", "e"])
            let all = try await store.workspacesDeleted(atOrBefore: t(1_000))
            #expect(all.map(\.id) == ["a", "b", "c", "d", "e"])
            #expect(F.sameInstant(all.first?.deletedAt, t(5)))
            #expect(all.allSatisfy { $0.keyGeneration == L.generation(1) && $0.shreddedAt == nil })
            // Undeleted and shredded workspaces leave the list.
            #expect(try await store.setWorkspaceDeleted("b", at: nil))
            _ = try #require(try await store.shredWorkspace("a", now: t(100), newKeyGeneration: L.generation(2)))
            #expect(try await store.workspacesDeleted(atOrBefore: t(1_000)).map(\.id) == ["c", "d", "e"])
            // A live workspace shredded directly is not listed either.
            _ = try #require(try await store.shredWorkspace("live", now: t(100), newKeyGeneration: L.generation(2)))
            #expect(try await store.workspacesDeleted(atOrBefore: t(1_000)).map(\.id) == ["c", "d", "e"])
        },
    ]
}
