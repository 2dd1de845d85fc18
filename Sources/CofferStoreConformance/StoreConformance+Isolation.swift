import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let isolationChecks: [Check] = [
        Check("workspaces are isolated: every method on B leaves A alone") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "a")
            try await F.createWorkspace(store, "b")
            for _ in 1...3 { try await F.put(store, "a", "shared") }
            try await F.put(store, "a", "only-a")
            let aBefore = try await store.history(workspace: "a", name: "shared")

            // Same name in B starts at version 1 and CAS sees B's state.
            #expect(try await F.put(store, "b", "shared", expected: 0).version == 1)
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "b", name: "shared", expected: 3, actual: 1)) {
                try await F.put(store, "b", "shared", expected: 3)
            }
            #expect(try await store.secretVersion(workspace: "b", name: "shared", version: nil)?.ciphertext == F.value("b", "shared", 1))
            #expect(try await store.secretVersion(workspace: "b", name: "shared", version: 3) == nil)
            #expect(try await store.secretVersion(workspace: "b", name: "only-a", version: nil) == nil)
            #expect(try await store.history(workspace: "b", name: "only-a").isEmpty)
            #expect(try await store.history(workspace: "b", name: "shared").map(\.version) == [1])
            #expect(try await store.listSecrets(workspace: "b").map(\.name) == ["shared"])
            #expect(try await store.dataKeys(workspace: "b").allSatisfy { $0.workspace == "b" })
            await #expect(throws: VaultError.secretNotFound(workspace: "b", name: "only-a")) {
                _ = try await store.setDeleted(workspace: "b", name: "only-a", versions: nil, deletedAt: F.epoch)
            }
            await #expect(throws: VaultError.versionNotFound(workspace: "b", name: "shared", version: 2)) {
                _ = try await store.setDeleted(workspace: "b", name: "shared", versions: [2], deletedAt: F.epoch)
            }
            #expect(try await store.setDeleted(workspace: "b", name: "shared", versions: nil, deletedAt: F.epoch) == [1])
            // Pruning B with max 1 does not touch A.
            try await F.put(store, "b", "shared", maxVersions: 1)
            try await F.put(store, "b", "shared", maxVersions: 1)

            // A is exactly as before.
            #expect(try await store.history(workspace: "a", name: "shared") == aBefore)
            #expect(try await store.listSecrets(workspace: "a").map(\.name) == ["only-a", "shared"])
            #expect(try await store.listSecrets(workspace: "a").first { $0.name == "shared" }?.liveVersionCount == 3)
            for v in UInt32(1)...3 {
                #expect(try await store.secretVersion(workspace: "a", name: "shared", version: v)?.ciphertext == F.value("a", "shared", v))
            }
            #expect(try await F.put(store, "a", "shared").version == 4)
            #expect(try await store.dataKeys(workspace: "a").allSatisfy { $0.workspace == "a" })
        },
    ]
}
