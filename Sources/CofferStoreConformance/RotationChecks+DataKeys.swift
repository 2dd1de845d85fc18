import Coffer
import Foundation
import Synchronization
import Testing

extension StoreConformance {
    static let dataKeyRotationChecks: [RotationCheck] = [
        RotationCheck("rotateDataKey: check-and-set on the primary, next version only, count starts at 0") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            var record = F.dataKey("w", version: 2, seed: 5)
            record.encryptionCount = 77
            #expect(try await store.rotateDataKey(record, expectedPrimary: 1))
            let ws = try #require(try await store.workspace("w"))
            #expect(ws.primaryDataKeyVersion == 2)
            #expect(ws.minimumDecryptionVersion == 1)
            let keys = try await store.dataKeys(workspace: "w")
            #expect(keys.map(\.version) == [1, 2])
            #expect(keys.last?.wrapped == record.wrapped)
            #expect(keys.last?.encryptionCount == 0)
            #expect(F.sameInstant(keys.last?.createdAt, record.createdAt))
            // Stale primary, wrong next version, or a version already taken: nothing changes.
            #expect(try await store.rotateDataKey(F.dataKey("w", version: 3), expectedPrimary: 1) == false)
            #expect(try await store.rotateDataKey(F.dataKey("w", version: 4), expectedPrimary: 2) == false)
            #expect(try await store.rotateDataKey(F.dataKey("w", version: 2, seed: 9), expectedPrimary: 2) == false)
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [1, 2])
            #expect(try await store.dataKeys(workspace: "w").last?.wrapped == record.wrapped)
            #expect(try await store.workspace("w")?.primaryDataKeyVersion == 2)
            #expect(try await R.rotate(store, "w", to: 3))
            #expect(try await store.workspace("w")?.primaryDataKeyVersion == 3)
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                _ = try await store.rotateDataKey(F.dataKey("ghost", version: 2), expectedPrimary: 1)
            }
        },
        RotationCheck("two racing rotations: exactly one wins") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            let racers = 8
            let winners = try await withThrowingTaskGroup(of: UInt8?.self) { group in
                for seed in 1...UInt8(racers) {
                    group.addTask {
                        try await store.rotateDataKey(F.dataKey("w", version: 2, seed: seed * 10), expectedPrimary: 1) ? seed * 10 : nil
                    }
                }
                var wins: [UInt8] = []
                for try await result in group { if let result { wins.append(result) } }
                return wins
            }
            try #require(winners.count == 1)
            let keys = try await store.dataKeys(workspace: "w")
            #expect(keys.map(\.version) == [1, 2])
            #expect(keys.last?.wrapped == F.dataKey("w", version: 2, seed: winners[0]).wrapped)
            #expect(try await store.workspace("w")?.primaryDataKeyVersion == 2)
        },
        RotationCheck("data-key versions are never reused after destroy") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            #expect(try await R.rotate(store, "w", to: 2))
            #expect(try await R.rotate(store, "w", to: 3))
            try await store.destroyDataKey(workspace: "w", version: 2)
            try await store.destroyDataKey(workspace: "w", version: 1)
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [3])
            for version in UInt32(1)...3 {
                #expect(try await store.rotateDataKey(F.dataKey("w", version: version, seed: 4), expectedPrimary: 3) == false)
            }
            #expect(try await store.rotateDataKey(F.dataKey("w", version: 2, seed: 4), expectedPrimary: 1) == false)
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [3])
            #expect(try await R.rotate(store, "w", to: 4))
            #expect(try await store.dataKeys(workspace: "w").map(\.version) == [3, 4])
        },
        RotationCheck("rotation policy round trip on workspace and list") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "a")
            try await F.createWorkspace(store, "b")
            #expect(try await store.workspace("a")?.rotationPolicy == nil)
            let policy = RotationPolicy(maxDataKeyAgeSeconds: 86_400.5, maxEncryptionsPerDataKey: 1 << 32)
            try await store.setRotationPolicy(workspace: "a", policy)
            #expect(try await store.workspace("a")?.rotationPolicy == policy)
            #expect(try await store.listWorkspaces().map(\.rotationPolicy) == [policy, nil])
            let countOnly = RotationPolicy(maxEncryptionsPerDataKey: 5)
            try await store.setRotationPolicy(workspace: "a", countOnly)
            #expect(try await store.workspace("a")?.rotationPolicy == countOnly)
            let ageOnly = RotationPolicy(maxDataKeyAgeSeconds: 60)
            try await store.setRotationPolicy(workspace: "a", ageOnly)
            #expect(try await store.workspace("a")?.rotationPolicy == ageOnly)
            try await store.setRotationPolicy(workspace: "a", nil)
            #expect(try await store.workspace("a")?.rotationPolicy == nil)
            // A policy without limits means "vault default", like nil.
            try await store.setRotationPolicy(workspace: "a", RotationPolicy())
            let empty = try await store.workspace("a")?.rotationPolicy
            #expect(empty == nil || empty == RotationPolicy())
            #expect(try await store.workspace("b")?.rotationPolicy == nil)
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                try await store.setRotationPolicy(workspace: "ghost", policy)
            }
        },
        RotationCheck("createWorkspace keeps the minimum decryption version and the policy") { store in
            typealias F = ConformanceFixtures
            let policy = RotationPolicy(maxDataKeyAgeSeconds: 30, maxEncryptionsPerDataKey: 9)
            let record = WorkspaceRecord(id: "w", createdAt: F.epoch, primaryDataKeyVersion: 1, rotationPolicy: policy)
            try await store.createWorkspace(record, firstDataKey: F.dataKey("w"))
            let got = try #require(try await store.workspace("w"))
            #expect(got.minimumDecryptionVersion == 1)
            #expect(got.rotationPolicy == policy)
            #expect(try await store.dataKeys(workspace: "w").map(\.encryptionCount) == [0])
        },
    ]

    static let encryptionCountChecks: [RotationCheck] = [
        RotationCheck("encryption counts are exact under concurrent puts; failed puts do not count") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            let tasks = 16
            let perTask = 12
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        for i in 0..<perTask { try await R.put(store, "w", "s\(t % 4)-\(i % 3)", maxVersions: 2) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await R.count(store, "w", 1) == UInt64(tasks * perTask))
            // A seal that throws and a check-and-set conflict count nothing.
            await #expect(throws: SealFailure.self) {
                _ = try await store.putSecretVersion(F.request("w", "x")) { _ in throw SealFailure() }
            }
            await #expect(throws: VaultError.self) { try await F.put(store, "w", "s0-0", expected: 0) }
            #expect(try await R.count(store, "w", 1) == UInt64(tasks * perTask))
            // Counts are per data-key version.
            #expect(try await R.rotate(store, "w", to: 2))
            try await R.put(store, "w", "y", dek: 2)
            #expect(try await R.count(store, "w", 1) == UInt64(tasks * perTask))
            #expect(try await R.count(store, "w", 2) == 1)
        },
        RotationCheck("a put at the encryption limit is refused and writes nothing, even when racing") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            for _ in 0..<3 { try await R.put(store, "w", "s", limit: 3) }
            var request = F.request("w", "s")
            request.dataKeyEncryptionLimit = 3
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 1)) {
                _ = try await store.putSecretVersion(request) { _ in [1] }
            }
            #expect(try await F.versions(store, "w", "s") == [1, 2, 3])
            #expect(try await R.count(store, "w", 1) == 3)
            // Without a limit the count still grows.
            try await R.put(store, "w", "s")
            #expect(try await R.count(store, "w", 1) == 4)

            // Racing puts against a limit: exactly the allowance succeeds.
            try await F.createWorkspace(store, "race")
            let results = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<20 {
                    group.addTask { (try? await R.put(store, "race", "n\(i)", limit: 7)) != nil }
                }
                var wins = 0
                for await ok in group where ok { wins += 1 }
                return wins
            }
            #expect(results == 7)
            #expect(try await R.count(store, "race", 1) == 7)
            #expect(try await store.listSecrets(workspace: "race").count == 7)
        },
        RotationCheck("a put counts a lease block all or nothing, a leased put counts nothing, and unused leases return") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            // A block of 4 (this put's and 3 leased) within a limit of 10.
            #expect(try await R.put(store, "w", "s", limit: 10, counting: 4).version == 1)
            #expect(try await R.count(store, "w", 1) == 4)
            // Puts using the lease count nothing (and need no limit check).
            for _ in 0..<3 { try await R.put(store, "w", "s", limit: 10, counting: 0) }
            #expect(try await R.count(store, "w", 1) == 4)
            #expect(try await F.versions(store, "w", "s") == [1, 2, 3, 4])
            // Another block of 4 fits (8 <= 10); a third does not: refused whole, nothing
            // written, the count unchanged; a single count still fits.
            try await R.put(store, "w", "s", limit: 10, counting: 4)
            var request = F.request("w", "s")
            request.dataKeyEncryptionLimit = 10
            request.encryptionsToCount = 4
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 1)) {
                _ = try await store.putSecretVersion(request) { _ in [1] }
            }
            #expect(try await R.count(store, "w", 1) == 8)
            #expect(try await F.versions(store, "w", "s") == [1, 2, 3, 4, 5])
            try await R.put(store, "w", "s", limit: 10, counting: 1)
            #expect(try await R.count(store, "w", 1) == 9)
            // Returning an unused lease lowers the count, never below zero.
            try await store.releaseEncryptions(workspace: "w", dataKeyVersion: 1, count: 3)
            #expect(try await R.count(store, "w", 1) == 6)
            try await store.releaseEncryptions(workspace: "w", dataKeyVersion: 1, count: 100)
            #expect(try await R.count(store, "w", 1) == 0)
            // A leased put under a missing or retired key is refused like any other.
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 2)) {
                try await R.put(store, "w", "t", dek: 2, counting: 0)
            }
            #expect(try await R.rotate(store, "w", to: 2))
            try await R.put(store, "w", "t", dek: 2, counting: 5)
            #expect(try await R.count(store, "w", 2) == 5)
            try await F.createWorkspace(store, "r")
            try await R.put(store, "r", "s", maxVersions: 1, counting: 8)
            #expect(try await R.rotate(store, "r", to: 2))
            // Keeping one version prunes the one under key 1, so key 1 can be retired.
            try await R.put(store, "r", "s", dek: 2, maxVersions: 1)
            try await store.setMinimumDecryptionVersion(workspace: "r", 2)
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "r", version: 1)) {
                try await R.put(store, "r", "u", dek: 1, counting: 0)
            }
            #expect(try await store.history(workspace: "r", name: "u").isEmpty)
            // Returning a lease on a retired key changes nothing.
            try await store.releaseEncryptions(workspace: "r", dataKeyVersion: 1, count: 3)
            #expect(try await R.count(store, "r", 1) == 8)
        },
        RotationCheck("a put under a missing or retired data key is refused and writes nothing") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 2)) {
                try await R.put(store, "w", "s", dek: 2)
            }
            #expect(try await store.history(workspace: "w", name: "s").isEmpty)
            #expect(try await R.rotate(store, "w", to: 2))
            try await store.setMinimumDecryptionVersion(workspace: "w", 2)
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 1)) {
                try await R.put(store, "w", "s", dek: 1)
            }
            #expect(try await store.history(workspace: "w", name: "s").isEmpty)
            #expect(try await R.count(store, "w", 1) == 0)
            #expect(try await R.put(store, "w", "s", dek: 2).dataKeyVersion == 2)
            #expect(try await R.count(store, "w", 2) == 1)
        },
    ]

    static let kekRewrapChecks: [RotationCheck] = [
        RotationCheck("dataKeys(notWrappedBy:) lists by (workspace, version) up to the limit") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            for ws in ["c", "a", "b"] { try await F.createWorkspace(store, ws) }
            #expect(try await R.rotate(store, "a", to: 2, seed: 2))
            #expect(try await R.rotate(store, "c", to: 2, seed: 1))
            let old = try await store.dataKeys(notWrappedBy: F.kekID(2), limit: 100)
            #expect(old.map { "\($0.workspace)\($0.version)" } == ["a1", "b1", "c1", "c2"])
            #expect(old.allSatisfy { $0.wrapped.kekID == F.kekID(1) })
            #expect(old.first?.wrapped == F.dataKey("a").wrapped)
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(2), limit: 2).map(\.workspace) == ["a", "b"])
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(1), limit: 100).map { "\($0.workspace)\($0.version)" } == ["a2"])
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(2), limit: 0).isEmpty)
        },
        RotationCheck("rewrapDataKeys applies only rows still wrapped by the expected KEK; census follows") { store in
            typealias F = ConformanceFixtures
            for ws in ["a", "b", "c"] { try await F.createWorkspace(store, ws) }
            #expect(try await store.dataKeyCountByKEK() == [F.kekID(1): 3])
            let newWrap = { (ws: String) in WrappedDataKey(kekID: F.kekID(2), ciphertext: Array("rewrapped-\(ws)".utf8)) }
            let rewraps = [
                DataKeyRewrap(workspace: "a", version: 1, expectedKEKID: F.kekID(1), wrapped: newWrap("a")),
                // Stale: b is not wrapped by KEK 3.
                DataKeyRewrap(workspace: "b", version: 1, expectedKEKID: F.kekID(3), wrapped: newWrap("b")),
                // No such data key.
                DataKeyRewrap(workspace: "c", version: 5, expectedKEKID: F.kekID(1), wrapped: newWrap("c")),
            ]
            #expect(try await store.rewrapDataKeys(rewraps) == 1)
            #expect(try await store.dataKeys(workspace: "a").first?.wrapped == newWrap("a"))
            #expect(try await store.dataKeys(workspace: "b").first?.wrapped == F.dataKey("b").wrapped)
            #expect(try await store.dataKeys(workspace: "c").map(\.version) == [1])
            // A second run (another process finished first) applies nothing.
            #expect(try await store.rewrapDataKeys(rewraps) == 0)
            #expect(try await store.rewrapDataKeys([]) == 0)
            #expect(try await store.dataKeyCountByKEK() == [F.kekID(1): 2, F.kekID(2): 1])
            #expect(try await store.dataKeys(notWrappedBy: F.kekID(2), limit: 10).map(\.workspace) == ["b", "c"])
            // Encryption counts and versions survive a rewrap.
            try await RotationFixtures.put(store, "b", "s")
            #expect(try await store.rewrapDataKeys([
                DataKeyRewrap(workspace: "b", version: 1, expectedKEKID: F.kekID(1), wrapped: newWrap("b")),
            ]) == 1)
            #expect(try await store.dataKeys(workspace: "b").first?.encryptionCount == 1)
            #expect(try await store.dataKeyCountByKEK() == [F.kekID(1): 1, F.kekID(2): 2])
        },
    ]
}
