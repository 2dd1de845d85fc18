import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let readChecks: [Check] = [
        Check("get the current, a specific or a missing version") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            for _ in 1...3 { try await F.put(store, "w", "s") }
            let current = try #require(try await store.secretVersion(workspace: "w", name: "s", version: nil))
            #expect(current.info.version == 3)
            #expect(current.ciphertext == F.value("w", "s", 3))
            let first = try #require(try await store.secretVersion(workspace: "w", name: "s", version: 1))
            #expect(first.info.version == 1)
            #expect(first.ciphertext == F.value("w", "s", 1))
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 4) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 0) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "nope", version: nil) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "nope", version: 1) == nil)
            #expect(try await store.secretVersion(workspace: "unknown", name: "s", version: nil) == nil)
            // A soft-deleted version is still returned, and still counts as current.
            _ = try await store.setDeleted(workspace: "w", name: "s", versions: [3], deletedAt: F.epoch)
            let deleted = try #require(try await store.secretVersion(workspace: "w", name: "s", version: nil))
            #expect(deleted.info.version == 3)
            #expect(F.sameInstant(deleted.info.deletedAt, F.epoch))
            #expect(deleted.ciphertext == F.value("w", "s", 3))
        },
        Check("list is ordered by name with the current version's metadata and counts") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            #expect(try await store.listSecrets(workspace: "w").isEmpty)
            #expect(try await store.listSecrets(workspace: "unknown").isEmpty)
            for name in ["b", "a/x", "Z", "a", "a-b"] {
                try await F.put(store, "w", name, now: F.epoch)
            }
            let oldMeta = SecretMetadata(kind: .raw, labels: ["v": "1"])
            let newMeta = SecretMetadata(kind: .oauthToken, contentType: "application/json", labels: ["v": "3"],
                                         expiresAt: F.epoch.addingTimeInterval(3600))
            try await F.put(store, "w", "a", metadata: oldMeta, now: F.epoch.addingTimeInterval(10))
            try await F.put(store, "w", "a", metadata: newMeta, now: F.epoch.addingTimeInterval(20))
            _ = try await store.setDeleted(workspace: "w", name: "a", versions: [2], deletedAt: F.epoch)

            let list = try await store.listSecrets(workspace: "w")
            // Byte order: uppercase before lowercase, '-' (0x2D) before '/' (0x2F).
            #expect(list.map(\.name) == ["Z", "a", "a-b", "a/x", "b"])
            let a = try #require(list.first { $0.name == "a" })
            #expect(a.currentVersion == 3)
            #expect(a.versionCount == 3)
            #expect(a.liveVersionCount == 2)
            #expect(F.sameMetadata(a.metadata, newMeta))
            #expect(F.sameInstant(a.createdAt, F.epoch))
            #expect(F.sameInstant(a.updatedAt, F.epoch.addingTimeInterval(20)))
            let b = try #require(list.first { $0.name == "b" })
            #expect(b.currentVersion == 1 && b.versionCount == 1 && b.liveVersionCount == 1)

            // After pruning, createdAt is that of the oldest kept version.
            try await F.put(store, "w", "a", maxVersions: 2, now: F.epoch.addingTimeInterval(30))
            let pruned = try #require(try await store.listSecrets(workspace: "w").first { $0.name == "a" })
            #expect(pruned.currentVersion == 4)
            #expect(pruned.versionCount == 2)
            #expect(F.sameInstant(pruned.createdAt, F.epoch.addingTimeInterval(20)))
        },
        Check("history lists every kept version oldest first") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            #expect(try await store.history(workspace: "w", name: "s").isEmpty)
            #expect(try await store.history(workspace: "unknown", name: "s").isEmpty)
            for i in 1...4 { try await F.put(store, "w", "s", now: F.epoch.addingTimeInterval(Double(i))) }
            _ = try await store.setDeleted(workspace: "w", name: "s", versions: [2], deletedAt: F.epoch)
            let history = try await store.history(workspace: "w", name: "s")
            #expect(history.map(\.version) == [1, 2, 3, 4])
            #expect(history.map { $0.deletedAt != nil } == [false, true, false, false])
            for info in history {
                #expect(info.workspace == "w" && info.name == "s")
                #expect(F.sameInstant(info.createdAt, F.epoch.addingTimeInterval(Double(info.version))))
            }
        },
        Check("metadata round-trips: kind, content type, unicode labels, expiry") { store in
            typealias F = ConformanceFixtures
            try await F.createWorkspace(store, "w")
            let labels = [
                "région": "Île-de-France 🇫🇷", "empty": "", "quote\"back\\slash": "line\nbreak\ttab",
                "日本": "東京", "json": "{\"a\":[1,2]}", "slash/key": "a/b",
            ]
            for (i, kind) in SecretKind.allCases.enumerated() {
                let meta = SecretMetadata(
                    kind: kind, contentType: i % 2 == 0 ? "application/json; charset=utf-8" : nil,
                    labels: i == 0 ? labels : [:],
                    expiresAt: i % 2 == 0 ? Date(timeIntervalSince1970: 4_102_444_800.123) : nil)
                let name = "m\(i)"
                let put = try await F.put(store, "w", name, metadata: meta)
                #expect(F.sameMetadata(put.metadata, meta))
                let got = try #require(try await store.secretVersion(workspace: "w", name: name, version: 1))
                #expect(F.sameMetadata(got.info.metadata, meta), "kind \(kind)")
                #expect(got.info.metadata.labels == meta.labels)
                let listed = try #require(try await store.listSecrets(workspace: "w").first { $0.name == name })
                #expect(F.sameMetadata(listed.metadata, meta))
                let history = try await store.history(workspace: "w", name: name)
                #expect(history.count == 1 && F.sameMetadata(history[0].metadata, meta))
            }
            // The data-key version is kept per version (it must be one of the workspace's keys).
            try await store.createWorkspace(
                WorkspaceRecord(id: "w42", createdAt: F.epoch, primaryDataKeyVersion: 42),
                firstDataKey: F.dataKey("w42", version: 42))
            let info = try await store.putSecretVersion(
                PutSecretRequest(workspace: "w42", name: "dek", expectedCurrentVersion: nil, metadata: SecretMetadata(),
                                 dataKeyVersion: 42, maxVersions: 10, now: F.epoch)
            ) { _ in [1] }
            #expect(info.dataKeyVersion == 42)
            #expect(try await store.secretVersion(workspace: "w42", name: "dek", version: nil)?.info.dataKeyVersion == 42)
            // Large and binary values round-trip byte for byte.
            let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            _ = try await store.putSecretVersion(F.request("w", "big")) { _ in big }
            #expect(try await store.secretVersion(workspace: "w", name: "big", version: 1)?.ciphertext == big)
        },
    ]
}
