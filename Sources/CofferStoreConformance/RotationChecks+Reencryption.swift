import Coffer
import Foundation
import Testing

extension StoreConformance {
    static let reencryptionChecks: [RotationCheck] = [
        RotationCheck("secretVersions pages kept versions of the given data keys in (name, version) order after the cursor") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            let names = ["b", "a/b", "B", "a", "c/x", "a-"]
            for name in names { for _ in 0..<3 { try await R.put(store, "w", name) } }
            #expect(try await R.rotate(store, "w", to: 2))
            for name in ["a", "c/x", "zz"] { try await R.put(store, "w", name, dek: 2) }
            // Soft-deleted versions still hold ciphertexts and are listed.
            _ = try await store.setDeleted(workspace: "w", name: "b", versions: [2], deletedAt: F.epoch)

            // Byte order: "B" < "a" < "a-" < "a/b" < "b" < "c/x".
            let expected1 = ["B", "a", "a-", "a/b", "b", "c/x"].flatMap { n in (UInt32(1)...3).map { "\(n)#\($0)" } }
            for pageSize in [1, 4, 5, 100] {
                let got = try await R.all(store, "w", [1], pageSize: pageSize)
                #expect(got.map { "\($0.info.name)#\($0.info.version)" } == expected1, "page size \(pageSize)")
                #expect(got.allSatisfy { $0.info.dataKeyVersion == 1 && $0.info.workspace == "w" })
                #expect(got.allSatisfy { $0.ciphertext == F.value("w", $0.info.name, $0.info.version) })
            }
            let page = try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 100)
            #expect(page.first { $0.info.name == "b" && $0.info.version == 2 }?.info.deletedAt != nil)
            #expect(try await R.all(store, "w", [2]).map { "\($0.info.name)#\($0.info.version)" } == ["a#4", "c/x#4", "zz#1"])
            // Several data keys merge in (name, version) order.
            let both = try await R.all(store, "w", [1, 2], pageSize: 4).map { "\($0.info.name)#\($0.info.version)" }
            #expect(both == (expected1 + ["a#4", "c/x#4", "zz#1"]).sorted { a, b in
                let (an, av) = (a.split(separator: "#")[0], Int(a.split(separator: "#")[1])!)
                let (bn, bv) = (b.split(separator: "#")[0], Int(b.split(separator: "#")[1])!)
                return an != bn ? Array(an.utf8).lexicographicallyPrecedes(Array(bn.utf8)) : av < bv
            })
            // The cursor is exclusive and need not name an existing row.
            let after = try await store.secretVersions(
                workspace: "w", sealedUnder: [1], after: SecretVersionCursor(name: "a/b", version: 2), limit: 3)
            #expect(after.map { "\($0.info.name)#\($0.info.version)" } == ["a/b#3", "b#1", "b#2"])
            let between = try await store.secretVersions(
                workspace: "w", sealedUnder: [1], after: SecretVersionCursor(name: "a.", version: 99), limit: 2)
            #expect(between.map { "\($0.info.name)#\($0.info.version)" } == ["a/b#1", "a/b#2"])
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [], after: nil, limit: 10).isEmpty)
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [7], after: nil, limit: 10).isEmpty)
            #expect(try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 0).isEmpty)
            #expect(try await store.secretVersions(workspace: "nope", sealedUnder: [1], after: nil, limit: 10).isEmpty)
        },
        RotationCheck("replaceCiphertexts applies per row only if still sealed under the expected key, and counts") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            for name in ["p", "q", "r", "s", "t"] { try await R.put(store, "w", name, maxVersions: 1) }
            #expect(try await R.rotate(store, "w", to: 2))
            try await R.put(store, "w", "other", dek: 2)
            let page = try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 100)
            try #require(page.map(\.info.name) == ["p", "q", "r", "s", "t"])
            // After the page was read: s is pruned by a newer put, t is re-encrypted by someone else.
            try await R.put(store, "w", "s", dek: 2, maxVersions: 1)
            #expect(try await store.replaceCiphertexts(workspace: "w", [R.reseal(page[4], to: 2)], encryptionLimit: nil) == 1)
            var replacements = page.map { R.reseal($0, to: 2) }
            replacements[1].expectedDataKeyVersion = 2  // stale expectation for q
            replacements[4].ciphertext = [0xBA, 0xD0]   // t: must not overwrite the other writer's value
            let countBefore = try #require(try await R.count(store, "w", 2))
            #expect(try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: nil) == 2)
            #expect(try await R.count(store, "w", 2) == countBefore + 2)
            for (name, dek, value) in [
                ("p", UInt32(2), R.resealed("w", "p", 1, dek: 2)), ("q", 1, F.value("w", "q", 1)),
                ("r", 2, R.resealed("w", "r", 1, dek: 2)), ("t", 2, R.resealed("w", "t", 1, dek: 2)),
            ] {
                let stored = try await store.secretVersion(workspace: "w", name: name, version: 1)
                #expect(stored?.info.dataKeyVersion == dek, "\(name)")
                #expect(stored?.ciphertext == value, "\(name)")
            }
            #expect(try await F.versions(store, "w", "s") == [2])
            #expect(try await store.secretVersion(workspace: "w", name: "s", version: 2)?.ciphertext == F.value("w", "s", 2))
            // Metadata and deletion state are untouched.
            #expect(try await store.secretVersion(workspace: "w", name: "p", version: 1)?.info.deletedAt == nil)
            #expect(try await store.replaceCiphertexts(workspace: "w", [], encryptionLimit: 0) == 0)
            #expect(try await store.replaceCiphertexts(workspace: "w", replacements, encryptionLimit: nil) == 0)
        },
        RotationCheck("replaceCiphertexts past the encryption limit writes nothing; the limit counts only rows applied") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            for name in ["a", "b", "c"] { try await R.put(store, "w", name) }
            #expect(try await R.rotate(store, "w", to: 2))
            try await R.put(store, "w", "new", dek: 2)   // key 2 has sealed 1 value
            let page = try await store.secretVersions(workspace: "w", sealedUnder: [1], after: nil, limit: 10)
            let all = page.map { R.reseal($0, to: 2) }
            let before = try await R.snapshot(store, "w")
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 2)) {
                _ = try await store.replaceCiphertexts(workspace: "w", all, encryptionLimit: 3)
            }
            #expect(try await R.snapshot(store, "w") == before)
            #expect(try await R.count(store, "w", 2) == 1)
            // Key 3 has not been created: refused, nothing written.
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "w", version: 3)) {
                _ = try await store.replaceCiphertexts(workspace: "w", page.map { R.reseal($0, to: 3) }, encryptionLimit: nil)
            }
            #expect(try await R.snapshot(store, "w") == before)
            // One row is stale, so only two apply: 1 + 2 = 3 is within the limit.
            var mixed = all
            mixed[0].expectedDataKeyVersion = 2
            #expect(try await store.replaceCiphertexts(workspace: "w", mixed, encryptionLimit: 3) == 2)
            #expect(try await R.count(store, "w", 2) == 3)
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 2)) {
                _ = try await store.replaceCiphertexts(workspace: "w", [all[0]], encryptionLimit: 3)
            }
            #expect(try await store.replaceCiphertexts(workspace: "w", [all[0]], encryptionLimit: 4) == 1)
            #expect(try await R.count(store, "w", 2) == 4)
            #expect(try await store.dataKeyUsage(workspace: "w") == [DataKeyUsage(dataKeyVersion: 2, liveSecretVersions: 4, deletedSecretVersions: 0)])
        },
        RotationCheck("dataKeyUsage counts live and soft-deleted kept versions per data key") { store in
            typealias F = ConformanceFixtures
            typealias R = RotationFixtures
            try await F.createWorkspace(store, "w")
            #expect(try await store.dataKeyUsage(workspace: "w").isEmpty)
            for _ in 0..<3 { try await R.put(store, "w", "a") }
            try await R.put(store, "w", "b")
            #expect(try await R.rotate(store, "w", to: 2))
            #expect(try await R.rotate(store, "w", to: 3))
            try await R.put(store, "w", "a", dek: 3)
            try await R.put(store, "w", "c", dek: 3)
            _ = try await store.setDeleted(workspace: "w", name: "a", versions: [1, 2, 4], deletedAt: F.epoch)
            #expect(try await store.dataKeyUsage(workspace: "w") == [
                DataKeyUsage(dataKeyVersion: 1, liveSecretVersions: 2, deletedSecretVersions: 2),
                DataKeyUsage(dataKeyVersion: 3, liveSecretVersions: 1, deletedSecretVersions: 1),
            ])
            // Pruned versions are not kept.
            try await R.put(store, "w", "b", dek: 3, maxVersions: 1)
            #expect(try await store.dataKeyUsage(workspace: "w").first?.liveSecretVersions == 1)
            #expect(try await store.dataKeyUsage(workspace: "nope").isEmpty)
        },
    ]
}
