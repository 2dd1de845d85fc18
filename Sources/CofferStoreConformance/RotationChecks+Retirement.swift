import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let retirementChecks: [RotationCheck] = [
        RotationCheck("retiring is refused with the exact count while kept versions use old keys, then allowed") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            for name in ["a", "b", "c"] { for _ in 0..<2 { try await R.put(store, "w", name) } }
            _ = try await store.setDeleted(workspace: "w", name: "c", versions: nil, deletedAt: F.epoch)
            #expect(try await R.rotate(store, "w", to: 2))
            try await R.put(store, "w", "d", dek: 2)
            #expect(try await R.rotate(store, "w", to: 3))
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 6)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            }
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1, 2], count: 7)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 3)
            }
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 4)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 4)
            }
            #expect(try await store.workspace("w")?.minimumDecryptionVersion == 1)
            // Re-encrypt all but one version: still refused, with the remaining count.
            let old = try await R.all(store, "w", [1], pageSize: 2)
            #expect(try await store.replaceCiphertexts(workspace: "w", old.dropLast().map { R.reseal($0, to: 3) }, encryptionLimit: nil) == 5)
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 1)) {
                try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            }
            #expect(try await store.replaceCiphertexts(workspace: "w", [R.reseal(old[old.count - 1], to: 3)], encryptionLimit: nil) == 1)
            try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            #expect(try await store.workspace("w")?.minimumDecryptionVersion == 2)
            // Lowering is not un-retiring.
            try await store.setMinimumDecryptionVersion(workspace: "w", 1)
            #expect(try await store.workspace("w")?.minimumDecryptionVersion == 2)
            #expect(try await store.listWorkspaces().first?.minimumDecryptionVersion == 2)
            // Retired keys cannot seal again, neither by put nor by re-encryption.
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                try await R.put(store, "w", "e", dek: 1)
            }
            let three = try await store.secretVersions(workspace: "w", sealedUnder: [3], after: nil, limit: 1)
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                _ = try await store.replaceCiphertexts(workspace: "w", three.map { R.reseal($0, to: 1) }, encryptionLimit: nil)
            }
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                try await store.setMinimumDecryptionVersion(workspace: "ghost", 1)
            }
        },
        RotationCheck("destroying a data key is refused while it is used or primary, then removes it") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 0)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            try await R.put(store, "w", "a")
            try await R.put(store, "w", "b")
            _ = try await store.setDeleted(workspace: "w", name: "b", versions: nil, deletedAt: F.epoch)
            #expect(try await R.rotate(store, "w", to: 2))
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 2)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            let old = try await R.all(store, "w", [1])
            #expect(try await store.replaceCiphertexts(workspace: "w", [R.reseal(old[0], to: 2)], encryptionLimit: nil) == 1)
            // A soft-deleted version still holds a ciphertext under key 1.
            await #expect(throws: VaultError.dataKeyInUse(workspace: "w", versions: [1], count: 1)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [1, 2])
            #expect(try await store.replaceCiphertexts(workspace: "w", [R.reseal(old[1], to: 2)], encryptionLimit: nil) == 1)
            try await store.destroyDataKey(workspace: "w", version: 1)
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [2])
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                try await store.destroyDataKey(workspace: "w", version: 1)
            }
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 9)) {
                try await store.destroyDataKey(workspace: "w", version: 9)
            }
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                try await R.put(store, "w", "c", dek: 1)
            }
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 1)?.ciphertext == R.resealed("w", "a", 1, dek: 2))
        },
    ]

    static let rotationIsolationChecks: [RotationCheck] = [
        RotationCheck("rotation methods on workspace A never touch workspace B") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            for ws in ["a", "b"] {
                try await F.createWorkspace(store, ws)
                for name in ["x", "y"] { for _ in 0..<2 { try await R.put(store, ws, name) } }
            }
            #expect(try await R.rotate(store, "b", to: 2))
            let bBefore = try await R.snapshot(store, "b")
            let bKeys = try await store.dataKeys(workspace: "b")
            let bUsage = try await store.dataKeyUsage(workspace: "b")

            #expect(try await R.rotate(store, "a", to: 2))
            #expect(try await R.rotate(store, "a", to: 3))
            try await store.setRotationPolicy(workspace: "a", RotationPolicy(maxEncryptionsPerDataKey: 3))
            #expect(try await store.secretVersions(workspace: "a", sealedUnder: [2], after: nil, limit: 10).isEmpty)
            // B's rows under key 1 have the same names and versions as A's: only A's change.
            let fromA = try await R.all(store, "a", [1])
            #expect(fromA.count == 4)
            #expect(try await store.replaceCiphertexts(workspace: "a", fromA.map { R.reseal($0, to: 3) }, encryptionLimit: nil) == 4)
            try await store.setMinimumDecryptionVersion(workspace: "a", 3)
            try await store.destroyDataKey(workspace: "a", version: 1)
            try await store.destroyDataKey(workspace: "a", version: 2)
            #expect(try await store.dataKeyUsage(workspace: "a") == [DataKeyUsage(dataKeyVersion: 3, liveSecretVersions: 4, deletedSecretVersions: 0)])

            #expect(try await R.snapshot(store, "b") == bBefore)
            #expect(try await store.dataKeys(workspace: "b") == bKeys)
            #expect(try await store.dataKeyUsage(workspace: "b") == bUsage)
            let b = try #require(try await store.workspace("b"))
            #expect(b.primaryDataKeyVersion == 2)
            #expect(b.minimumDecryptionVersion == 1)
            #expect(b.rotationPolicy == nil)
            // And the other way round: B's re-encryption cannot reach A's rows.
            let fromB = try await R.all(store, "b", [1])
            #expect(try await store.replaceCiphertexts(workspace: "b", fromB.map { R.reseal($0, to: 2) }, encryptionLimit: nil) == 4)
            #expect(try await R.all(store, "a", [3]).map(\.ciphertext) == fromA.map { R.resealed("a", $0.info.name, $0.info.version, dek: 3) })
        },
    ]
}
