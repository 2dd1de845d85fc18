import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let deleteChecks: [Check] = [
        Check("setDeleted on one version, again, and undelete") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...3 { try await F.put(store, "w", "s") }
            let when = F.epoch.addingTimeInterval(99)
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [2], deletedAt: when) == [2])
            var history = try await store.history(workspace: "w", name: "s")
            #expect(history.map { $0.deletedAt != nil } == [false, true, false])
            #expect(F.sameInstant(history[1].deletedAt, when))
            // Deleting again changes nothing and keeps the first deletion time.
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [2], deletedAt: F.epoch) == [])
            #expect(F.sameInstant(try await store.history(workspace: "w", name: "s")[1].deletedAt, when))
            // Undelete.
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [2, 3], deletedAt: nil) == [2])
            history = try await store.history(workspace: "w", name: "s")
            #expect(history.allSatisfy { $0.deletedAt == nil })
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [2], deletedAt: nil) == [])
            // The value survives a delete/undelete round trip.
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 2)?.ciphertext == F.value("w", "s", 2))
        },
        Check("setDeleted on all versions returns only those that changed, ascending") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...4 { try await F.put(store, "w", "s") }
            _ = try await store.setDeleted(workspace: "w", name: "s", versions: [3], deletedAt: F.epoch)
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: nil, deletedAt: F.epoch) == [1, 2, 4])
            #expect(try await store.listSecrets(workspace: "w").first?.liveVersionCount == 0)
            #expect(try await store.listSecrets(workspace: "w").first?.versionCount == 4)
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: nil, deletedAt: F.epoch) == [])
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [4, 1, 4], deletedAt: nil) == [1, 4])
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: nil, deletedAt: nil) == [2, 3])
            #expect(try await store.listSecrets(workspace: "w").first?.liveVersionCount == 4)
        },
        Check("setDeleted with an unknown version or secret changes nothing") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...3 { try await F.put(store, "w", "s", maxVersions: 2) }
            // Version 1 was pruned, 9 never written: the whole call fails, version 2 stays live.
            await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "s", version: 9)) {
                _ = try await store.setDeleted(workspace: "w", name: "s", versions: [2, 9], deletedAt: F.epoch)
            }
            await #expect(throws: VaultError.versionNotFound(workspace: "w", name: "s", version: 1)) {
                _ = try await store.setDeleted(workspace: "w", name: "s", versions: [1], deletedAt: F.epoch)
            }
            #expect(try await store.history(workspace: "w", name: "s").allSatisfy { $0.deletedAt == nil })
            await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "ghost")) {
                _ = try await store.setDeleted(workspace: "w", name: "ghost", versions: nil, deletedAt: F.epoch)
            }
            await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "ghost")) {
                _ = try await store.setDeleted(workspace: "w", name: "ghost", versions: [1], deletedAt: nil)
            }
        },
    ]
}
