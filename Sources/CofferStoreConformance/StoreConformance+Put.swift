import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    static let putChecks: [Check] = [
        Check("put numbers versions 1, 2, 3 and returns their info") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            let meta = SecretMetadata(kind: .webhookSecret, contentType: "text/plain", labels: ["a": "b"])
            for expected in UInt32(1)...3 {
                let now = F.epoch.addingTimeInterval(Double(expected))
                let info = try await F.put(store, "w", "db/password", metadata: meta, now: now)
                #expect(info.version == expected)
                #expect(info.workspace == "w")
                #expect(info.name == "db/password")
                #expect(info.dataKeyVersion == 1)
                #expect(info.deletedAt == nil)
                #expect(F.sameMetadata(info.metadata, meta))
                #expect(F.sameInstant(info.createdAt, now))
            }
            #expect(try await F.versions(store, "w", "db/password") == [1, 2, 3])
        },
        Check("version numbers are never reused after pruning") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...5 { try await F.put(store, "w", "s", maxVersions: 2) }
            #expect(try await F.versions(store, "w", "s") == [4, 5])
            #expect(try await F.put(store, "w", "s", maxVersions: 2).version == 6)
            #expect(try await F.versions(store, "w", "s") == [5, 6])
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 1) == nil)
            #expect(try await store.listSecrets(workspace: "w").first?.currentVersion == 6)
        },
        Check("check-and-set: nil, 0 and N") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            // nil on a new secret, 0 on a new secret.
            #expect(try await F.put(store, "w", "free", expected: nil).version == 1)
            #expect(try await F.put(store, "w", "new", expected: 0).version == 1)
            // 0 on an existing secret: conflict naming the actual version.
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "new", expected: 0, actual: 1)) {
                try await F.put(store, "w", "new", expected: 0)
            }
            // N matching.
            #expect(try await F.put(store, "w", "new", expected: 1).version == 2)
            // N not matching, both lower and higher than the current version.
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "new", expected: 1, actual: 2)) {
                try await F.put(store, "w", "new", expected: 1)
            }
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "new", expected: 9, actual: 2)) {
                try await F.put(store, "w", "new", expected: 9)
            }
            // N on a secret that does not exist: actual 0.
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "ghost", expected: 3, actual: 0)) {
                try await F.put(store, "w", "ghost", expected: 3)
            }
            // Conflicts wrote nothing and did not consume version numbers.
            #expect(try await F.versions(store, "w", "new") == [1, 2])
            #expect(try await F.versions(store, "w", "ghost") == [])
            #expect(try await F.put(store, "w", "new", expected: 2).version == 3)
            #expect(try await F.put(store, "w", "ghost", expected: 0).version == 1)
        },
        Check("seal receives the new version once and its value is stored") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            try await F.put(store, "w", "s")
            let calls = PosixMutex<[UInt32]>([])
            let info = try await store.putSecretVersion(F.request("w", "s")) { version in
                calls.withLock { $0.append(version) }
                return [0xC0, 0xFF, 0xEE, UInt8(version)]
            }
            #expect(info.version == 2)
            #expect(calls.withLock { $0 } == [2])
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 2)?.ciphertext == [0xC0, 0xFF, 0xEE, 2])
        },
        Check("a throwing seal writes nothing and its error is rethrown") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            // New secret.
            await #expect(throws: SealFailure()) {
                _ = try await store.putSecretVersion(F.request("w", "new")) { _ in throw SealFailure() }
            }
            #expect(try await store.secretVersion(workspace: "w", name: "new", version: nil) == nil)
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await F.put(store, "w", "new").version == 1)
            // Existing secret at its version limit: no pruning happens either.
            try await F.put(store, "w", "old", maxVersions: 2)
            try await F.put(store, "w", "old", maxVersions: 2)
            await #expect(throws: SealFailure()) {
                _ = try await store.putSecretVersion(F.request("w", "old", maxVersions: 2)) { _ in throw SealFailure() }
            }
            #expect(try await F.versions(store, "w", "old") == [1, 2])
            #expect(try await F.put(store, "w", "old", maxVersions: 2).version == 3)
        },
        Check("max versions keeps the newest versions, live or deleted") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...5 { try await F.put(store, "w", "s", maxVersions: 3) }
            #expect(try await F.versions(store, "w", "s") == [3, 4, 5])
            #expect(try await store.listSecrets(workspace: "w").first?.versionCount == 3)
            // Soft-deleted versions count as kept.
            #expect(try await store.setDeleted(workspace: "w", name: "s", versions: [5], deletedAt: F.epoch) == [5])
            try await F.put(store, "w", "s", maxVersions: 3)
            #expect(try await F.versions(store, "w", "s") == [4, 5, 6])
            // A lower limit removes every older version at once.
            try await F.put(store, "w", "s", maxVersions: 1)
            #expect(try await F.versions(store, "w", "s") == [7])
            // A higher limit keeps everything again.
            for _ in 1...3 { try await F.put(store, "w", "s", maxVersions: 10) }
            #expect(try await F.versions(store, "w", "s") == [7, 8, 9, 10])
            // Other secrets are not pruned.
            try await F.put(store, "w", "other", maxVersions: 10)
            try await F.put(store, "w", "s", maxVersions: 1)
            #expect(try await F.versions(store, "w", "other") == [1])
        },
        // A store may seal before its checks (PostgreSQL's one-statement put seals with the
        // version it expects, then discards the value if the server refuses), so this checks
        // what a refused put leaves behind, not whether `seal` ran.
        Check("put on an unknown workspace fails and writes nothing") { (store: any SecretStore) async throws in
            typealias F = ConformanceFixtures
            await #expect(throws: VaultError.workspaceNotFound("missing")) {
                _ = try await store.putSecretVersion(F.request("missing", "s")) { _ in [1] }
            }
            #expect(try await store.listSecrets(workspace: "missing").isEmpty)
            #expect(try await store.workspace("missing") == nil)
        },
    ]
}
