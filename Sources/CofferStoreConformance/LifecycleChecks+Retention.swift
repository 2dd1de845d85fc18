import Coffer
import CofferCrypto
import Foundation
import Testing

extension StoreConformance {
    static let retentionChecks: [LifecycleCheck] = [
        LifecycleCheck("purgeDeletedSecretVersions removes only versions deleted at or before the cutoff, in order") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            let t = { (s: Double) in F.epoch.addingTimeInterval(s) }
            try await L.createWorkspace(store, "w")
            try await L.createWorkspace(store, "x")
            try await L.createWorkspace(store, "gone")
            for _ in 0..<4 { try await F.put(store, "w", "a") }
            try await F.put(store, "w", "b")
            try await F.put(store, "x", "z")
            try await F.put(store, "x", "z")
            try await F.put(store, "gone", "g")
            _ = try await store.setDeleted(workspace: "w", name: "a", versions: [1], deletedAt: t(10))
            _ = try await store.setDeleted(workspace: "w", name: "a", versions: [2], deletedAt: t(20))
            _ = try await store.setDeleted(workspace: "w", name: "b", versions: nil, deletedAt: t(10))
            _ = try await store.setDeleted(workspace: "x", name: "z", versions: [1], deletedAt: t(5))
            _ = try await store.setDeleted(workspace: "gone", name: "g", versions: nil, deletedAt: t(1))
            #expect(try await store.setWorkspaceDeleted("gone", at: t(2)))

            #expect(try await store.purgeDeletedSecretVersions(deletedAtOrBefore: t(4), limit: 100).isEmpty)
            let purged = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: t(10), limit: 100)
            #expect(purged.map { "\($0.workspace)/\($0.name)#\($0.version)" } == ["w/a#1", "w/b#1", "x/z#1"])
            #expect(zip(purged.map(\.deletedAt), [t(10), t(10), t(5)]).allSatisfy { F.sameInstant($0.0, $0.1) })
            #expect(try await F.versions(store, "w", "a") == [2, 3, 4])
            #expect(try await F.versions(store, "w", "b").isEmpty)
            #expect(try await F.versions(store, "x", "z") == [2])
            #expect(try await store.listSecrets(workspace: "w").map(\.name) == ["a"])
            #expect(try await store.secretVersion(workspace: "w", name: "a", version: 1) == nil)
            #expect(try await store.secretVersion(workspace: "w", name: "b", version: nil) == nil)
            // Nothing more at that cutoff; the later deletion goes at a later cutoff.
            #expect(try await store.purgeDeletedSecretVersions(deletedAtOrBefore: t(10), limit: 100).isEmpty)
            let later = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: t(1_000), limit: 100)
            #expect(later.map { "\($0.workspace)/\($0.name)#\($0.version)" } == ["w/a#2"])
            #expect(try await F.versions(store, "w", "a") == [3, 4])
            // The deleted workspace's versions stay until it is undeleted.
            #expect(try await store.setWorkspaceDeleted("gone", at: nil))
            #expect(try await F.versions(store, "gone", "g") == [1])
            let gone = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: t(1_000), limit: 100)
            #expect(gone.map { "\($0.workspace)/\($0.name)#\($0.version)" } == ["gone/g#1"])
            // Numbers are never reused: the secret rows remember the last version.
            #expect(try await F.put(store, "w", "b").version == 2)
            #expect(try await F.put(store, "x", "z").version == 3)
            #expect(try await F.put(store, "gone", "g", expected: 0).version == 2)
            #expect(try await F.put(store, "w", "a").version == 5)
        },
        LifecycleCheck("purgeDeletedSecretVersions honours the limit; repeated calls drain") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.createWorkspace(store, "w")
            for i in 0..<7 { try await F.put(store, "w", "s\(i)") }
            try await F.put(store, "w", "keep")
            for i in 0..<7 {
                _ = try await store.setDeleted(workspace: "w", name: "s\(i)", versions: nil, deletedAt: F.epoch)
            }
            #expect(try await store.purgeDeletedSecretVersions(deletedAtOrBefore: F.epoch, limit: 0).isEmpty)
            var pages: [[String]] = []
            while true {
                let page = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: F.epoch, limit: 3)
                if page.isEmpty { break }
                pages.append(page.map(\.name))
                try #require(pages.count < 10)
            }
            #expect(pages == [["s0", "s1", "s2"], ["s3", "s4", "s5"], ["s6"]])
            #expect(try await store.listSecrets(workspace: "w").map(\.name) == ["keep"])
        },
        LifecycleCheck("concurrent purges never remove a version twice and together remove all") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            for ws in ["a", "b"] {
                try await L.createWorkspace(store, ws)
                for i in 0..<20 {
                    try await F.put(store, ws, "s\(i % 5)")
                }
                for i in 0..<5 {
                    _ = try await store.setDeleted(workspace: ws, name: "s\(i)", versions: nil, deletedAt: F.epoch)
                }
            }
            let removed = try await withThrowingTaskGroup(of: [PurgedSecretVersion].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var mine: [PurgedSecretVersion] = []
                        while true {
                            let page = try await store.purgeDeletedSecretVersions(deletedAtOrBefore: F.epoch, limit: 3)
                            if page.isEmpty { return mine }
                            mine += page
                        }
                    }
                }
                var all: [PurgedSecretVersion] = []
                for try await part in group { all += part }
                return all
            }
            let keys = removed.map { "\($0.workspace)/\($0.name)#\($0.version)" }
            #expect(keys.count == 40)
            #expect(Set(keys).count == keys.count, "a version was reported purged twice")
            #expect(try await store.listSecrets(workspace: "a").isEmpty)
            #expect(try await store.listSecrets(workspace: "b").isEmpty)
        },
    ]

    static let batchPutChecks: [LifecycleCheck] = [
        LifecycleCheck("putSecretVersions numbers, prunes and seals each request like putSecretVersion") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            try await L.createWorkspace(store, "w")
            try await L.createWorkspace(store, "other")
            try await F.put(store, "w", "a")
            try await F.put(store, "w", "a")
            try await F.put(store, "w", "c")
            let calls = PosixMutex<[String]>([])
            let meta = SecretMetadata(kind: .webhookSecret, contentType: "application/json", labels: ["team": "x"])
            let requests = [
                F.request("w", "a", maxVersions: 2, now: F.epoch.addingTimeInterval(1)),
                F.request("w", "b", expected: 0, metadata: meta),
                F.request("w", "c", expected: 1),
            ]
            let infos = try await store.putSecretVersions(requests) { index, version in
                calls.withLock { $0.append("\(index):\(version)") }
                return F.value("w", requests[index].name, version)
            }
            #expect(calls.withLock { $0 }.sorted() == ["0:3", "1:1", "2:2"])
            #expect(infos.map(\.name) == ["a", "b", "c"])
            #expect(infos.map(\.version) == [3, 1, 2])
            #expect(infos.allSatisfy { $0.workspace == "w" && $0.deletedAt == nil && $0.dataKeyVersion == 1 })
            #expect(F.sameInstant(infos[0].createdAt, F.epoch.addingTimeInterval(1)))
            #expect(F.sameMetadata(infos[1].metadata, meta))
            #expect(try await F.versions(store, "w", "a") == [2, 3])
            #expect(try await F.versions(store, "w", "b") == [1])
            #expect(try await F.versions(store, "w", "c") == [1, 2])
            for (name, version) in [("a", UInt32(3)), ("b", 1), ("c", 2)] {
                let stored = try await store.secretVersion(workspace: "w", name: name, version: nil)
                #expect(stored?.info.version == version)
                #expect(stored?.ciphertext == F.value("w", name, version))
            }
            #expect(F.sameMetadata(try #require(try await store.history(workspace: "w", name: "b").first).metadata, meta))
            #expect(try await RotationFixtures.count(store, "w", 1) == 6)
            #expect(try await store.listSecrets(workspace: "other").isEmpty)
            #expect(try await store.putSecretVersions([]) { _, _ in [1] }.isEmpty)
            await #expect(throws: VaultError.workspaceNotFound("ghost")) {
                _ = try await store.putSecretVersions([F.request("ghost", "a")]) { _, _ in [1] }
            }
        },
        LifecycleCheck("putSecretVersions is all or nothing: a conflict, an exhausted key or a throwing seal writes nothing") { store in
            typealias F = ConformanceFixtures
            typealias L = LifecycleFixtures
            typealias R = RotationFixtures
            try await L.createWorkspace(store, "w")
            try await F.put(store, "w", "c")
            let before = try await L.fullState(store, "w")
            // A check-and-set conflict in the third request.
            await #expect(throws: VaultError.checkAndSetConflict(workspace: "w", name: "c", expected: 0, actual: 1)) {
                _ = try await store.putSecretVersions(
                    [F.request("w", "a"), F.request("w", "b"), F.request("w", "c", expected: 0)]
                ) { _, v in [UInt8(v)] }
            }
            #expect(try await L.fullState(store, "w") == before)
            // The data key reaches its limit at the third request (count 1 + 2 = limit 3).
            let limited = ["a", "b", "d"].map { name in
                var r = F.request("w", name)
                r.dataKeyEncryptionLimit = 3
                return r
            }
            await #expect(throws: VaultError.dataKeyExhausted(workspace: "w", version: 1)) {
                _ = try await store.putSecretVersions(limited) { _, v in [UInt8(v)] }
            }
            #expect(try await L.fullState(store, "w") == before)
            #expect(try await R.count(store, "w", 1) == 1)
            // A seal that throws on the third request.
            await #expect(throws: SealFailure.self) {
                _ = try await store.putSecretVersions([F.request("w", "a"), F.request("w", "b"), F.request("w", "d")]) { index, v in
                    if index == 2 { throw SealFailure() }
                    return [UInt8(v)]
                }
            }
            #expect(try await L.fullState(store, "w") == before)
            #expect(try await R.count(store, "w", 1) == 1)
            // Numbers used by a rolled-back batch are not burnt.
            let infos = try await store.putSecretVersions([F.request("w", "a"), F.request("w", "c")]) { _, v in [UInt8(v)] }
            #expect(infos.map(\.version) == [1, 2])
            #expect(try await R.count(store, "w", 1) == 3)
        },
    ]
}
