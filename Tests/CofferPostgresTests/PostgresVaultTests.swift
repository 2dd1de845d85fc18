import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Testing

/// The vault's behaviour from the earlier issues, proven on ``PostgresStore``: workspace
/// isolation, versions and check-and-set, credential kinds and OAuth refresh, the DEK cache,
/// data-key and KEK rotation, re-encryption, retirement, revocation and persistent usage counters.
@Suite("Vault on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresVaultTests {
    typealias Fixture = PostgresVaultFixture

    static func bytes(_ text: String) -> SecretBytes { SecretBytes(Array(text.utf8)) }
    static func text(_ value: SecretBytes) -> String { String(decoding: value.unprotectedArray(), as: UTF8.self) }

    @Test("workspaces are isolated; an application-only instance serves them")
    func isolation() async throws {
        try await Fixture.with { f in
            for ws in ["alpha", "beta"] {
                try await f.vault.createWorkspace(ws)
                try await f.vault.workspace(ws).put("db/password", value: Self.bytes("\(ws)-pw"))
            }
            try await f.otherInstance(maintenance: false) { app in
                #expect(Self.text(try await app.workspace("alpha").get("db/password").value) == "alpha-pw")
                #expect(Self.text(try await app.workspace("beta").get("db/password").value) == "beta-pw")
                try await app.workspace("beta").put("only-beta", value: Self.bytes("b"))
                await #expect(throws: VaultError.secretNotFound(workspace: "alpha", name: "only-beta")) {
                    try await app.workspace("alpha").get("only-beta")
                }
                #expect(try await app.workspace("alpha").list().map(\.name) == ["db/password"])
                await #expect(throws: VaultError.workspaceNotFound("gamma")) {
                    try await app.workspace("gamma").put("x", value: Self.bytes("x"))
                }
                // Creating workspaces needs the maintenance role.
                await #expect(throws: VaultError.self) { try await app.createWorkspace("gamma") }
            }
            await #expect(throws: VaultError.workspaceExists("alpha")) { try await f.vault.createWorkspace("alpha") }
            #expect(try await f.vault.listWorkspaces().map(\.id) == ["alpha", "beta"])
        }
    }

    @Test("versions, check-and-set, history, delete and undelete")
    func versionsAndCheckAndSet() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("w")
            let w = try f.vault.workspace("w")
            #expect(try await w.put("s", value: Self.bytes("one"), expectedVersion: 0).version == 1)
            #expect(try await w.put("s", value: Self.bytes("two"), expectedVersion: 1).version == 2)
            await #expect(throws: VaultError.self) { try await w.put("s", value: Self.bytes("stale"), expectedVersion: 1) }
            await #expect(throws: VaultError.self) { try await w.put("s", value: Self.bytes("exists"), expectedVersion: 0) }
            #expect(Self.text(try await w.get("s").value) == "two")
            #expect(Self.text(try await w.get("s", version: 1).value) == "one")
            #expect(try await w.history("s").map(\.version).sorted() == [1, 2])
            #expect(try await w.delete("s", version: 2) == [2])
            await #expect(throws: VaultError.self) { try await w.get("s", version: 2) }
            #expect(try await w.undelete("s", version: 2) == [2])
            #expect(Self.text(try await f.freshVault().workspace("w").get("s").value) == "two")
            // Concurrent check-and-set writers from two instances: exactly one wins each round.
            try await f.otherInstance { other in
                let ow = try other.workspace("w")
                let results = await withTaskGroup(of: Bool.self) { group in
                    for (i, scope) in [w, ow, w, ow].enumerated() {
                        group.addTask { (try? await scope.put("s", value: Self.bytes("race-\(i)"), expectedVersion: 2)) != nil }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(results.filter { $0 }.count == 1)
            }
            #expect(try await w.history("s").map(\.version).sorted() == [1, 2, 3])
        }
    }

    @Test("credential kinds and concurrent OAuth refresh")
    func credentialKinds() async throws {
        try await Fixture.with(configure: { $0.maxVersionsPerSecret = 1000 }) { f in
            try await f.vault.createWorkspace("w")
            let w = try f.vault.workspace("w")
            let expiry = Date(timeIntervalSince1970: 1_900_000_000)
            try await w.putOAuthToken("gh", OAuthTokenSet(accessToken: "a0", refreshToken: "r0", scopes: ["repo"], expiresAt: expiry))
            try await w.putCloudCredentials("aws", CloudCredentials(accessKeyID: "AKIATEST", secretAccessKey: "cloud-secret"))
            try await w.putWebhookSecret("hook", WebhookSecret(secret: "hook-secret"))
            let cold = try f.freshVault().workspace("w")
            let token = try await cold.oauthToken("gh").token
            #expect(token.accessToken == "a0" && token.refreshToken == "r0" && token.scopes == ["repo"])
            #expect(try await cold.cloudCredentials("aws").credentials.secretAccessKey == "cloud-secret")
            #expect(try await cold.webhookSecret("hook").secret.secret == "hook-secret")
            // A typed read of another kind is refused.
            await #expect(throws: VaultError.self) { try await cold.cloudCredentials("gh") }

            let refreshes = Counter()
            try await f.otherInstance { other in
                let ow = try other.workspace("w")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<12 {
                        let scope = i % 2 == 0 ? w : ow
                        group.addTask {
                            _ = try await scope.refreshOAuthToken("gh", maxAttempts: 50) { current in
                                let n = Int(current.accessToken.dropFirst()) ?? -1
                                return OAuthTokenSet(accessToken: "a\(n + 1)", refreshToken: "r\(n + 1)")
                            }
                            refreshes.increment()
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(refreshes.value == 12)
            let latest = try await cold.oauthToken("gh")
            // Every refresh built on the previous one: none lost, pairs consistent.
            #expect(latest.token.accessToken == "a12" && latest.token.refreshToken == "r12" && latest.info.version == 13)
        }
    }

    @Test("DEK cache: 50 concurrent gets on a cold workspace unwrap its data key once")
    func dataKeyCacheSingleFlight() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("cold")
            try await f.vault.workspace("cold").put("s", value: Self.bytes("cold-value"))
            let counting = CountingKEK(f.kek, delay: .milliseconds(100))
            let scope = try f.freshVault(kek: counting).workspace("cold")
            let values = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { Self.text(try await scope.get("s").value) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(values.count == 50 && values.allSatisfy { $0 == "cold-value" })
            #expect(counting.unwrapCount == 1)
        }
    }

    @Test("rotation, re-encryption and retirement")
    func rotationReencryptRetire() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            let acme = try f.vault.workspace("acme")
            for i in 0..<4 { try await acme.put("s\(i)", value: Self.bytes("old-\(i)")) }
            #expect(try await f.vault.rotateDataKey(workspace: "acme") == 2)
            #expect(try await acme.put("s0", value: Self.bytes("new-0")).dataKeyVersion == 2)
            await #expect(throws: VaultError.dataKeyInUse(workspace: "acme", versions: [1], count: 4)) {
                try await f.vault.retireDataKeys(workspace: "acme", below: 2)
            }
            let report = try await f.vault.reencrypt(workspace: "acme", batchSize: 3)
            #expect(report.reencrypted == 4 && report.total == 4 && report.finished)
            #expect(try await f.maintenanceInt("SELECT COUNT(*)::bigint FROM {S}.secret_versions WHERE dek_version = 1") == 0)
            try await f.vault.retireDataKeys(workspace: "acme", below: 2)
            let cold = try f.freshVault().workspace("acme")
            for i in 0..<4 { #expect(Self.text(try await cold.get("s\(i)", version: 1).value) == "old-\(i)") }
            #expect(Self.text(try await cold.get("s0").value) == "new-0")
            let ws = try await f.vault.status(workspace: "acme").workspaces[0]
            #expect(ws.minimumDecryptionVersion == 2 && ws.secretVersionsToReencrypt == 0)
            // Counters: 5 puts + 4 re-encryptions, persisted per data key.
            #expect(ws.dataKeys.map(\.encryptionCount) == [4, 5])
        }
    }

    @Test("revoke: rotates, re-encrypts, destroys the data key")
    func revoke() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            try await f.vault.createWorkspace("other")
            let acme = try f.vault.workspace("acme")
            for i in 0..<25 { try await acme.put("s\(i % 10)", value: Self.bytes("v\(i)")) }
            try await f.vault.workspace("other").put("o", value: Self.bytes("other"))
            let report = try await f.vault.revokeDataKey(workspace: "acme", version: 1)
            #expect(report.reencrypted == 25)
            #expect(try await f.store.dataKeys(workspace: "acme").map(\.version) == [2])
            for i in 15..<25 { #expect(Self.text(try await acme.get("s\(i % 10)").value) == "v\(i)") }
            #expect(Self.text(try await f.freshVault().workspace("acme").get("s0", version: 1).value) == "v0")
            #expect(Self.text(try await f.vault.workspace("other").get("o").value) == "other")
            await #expect(throws: VaultError.dataKeyNotFound(workspace: "acme", version: 1)) {
                try await f.vault.revokeDataKey(workspace: "acme", version: 1)
            }
        }
    }

    @Test("KEK rotation rewraps data keys only; the old KEK is no longer needed")
    func kekRotation() async throws {
        try await Fixture.with { f in
            for ws in ["a", "b", "c"] {
                try await f.vault.createWorkspace(ws)
                try await f.vault.workspace(ws).put("s", value: Self.bytes("\(ws)-1"))
                try await f.vault.rotateDataKey(workspace: ws)
                try await f.vault.workspace(ws).put("s", value: Self.bytes("\(ws)-2"))
            }
            let digest = "SELECT COUNT(DISTINCT md5(ciphertext))::bigint FROM {S}.secret_versions"
            let before = try await f.maintenanceInt(digest)
            let newKEK = try LocalKEK(SymmetricKey.generate(), displayName: "new")
            let report = try await f.vault.rotateKEK(to: newKEK, batchSize: 2)
            #expect(report.finished && report.rewrapped == 6 && report.total == 6)
            #expect(try await f.maintenanceInt(digest) == before)
            #expect(try await f.maintenanceInt(
                "SELECT COUNT(*)::bigint FROM {S}.secret_versions v JOIN {S}.data_keys k ON k.workspace_id = v.workspace_id AND k.version = v.dek_version") == 6)
            let onlyNew = f.freshVault(kek: newKEK)
            #expect(!(try await onlyNew.status().otherKEKsNeeded))
            for ws in ["a", "b", "c"] {
                #expect(Self.text(try await onlyNew.workspace(ws).get("s", version: 1).value) == "\(ws)-1")
                #expect(Self.text(try await onlyNew.workspace(ws).get("s").value) == "\(ws)-2")
            }
            await #expect(throws: VaultError.self) { try await f.freshVault().workspace("a").get("s") }
            let again = try await onlyNew.rotateKEK(to: newKEK)
            #expect(again.rewrapped == 0 && again.finished)
        }
    }

    @Test("usage limit: the write at the limit rotates first, across instances; counters persist exactly")
    func usageLimit() async throws {
        try await Fixture.with(configure: { $0.rotationPolicy = RotationPolicy(maxEncryptionsPerDataKey: 3) }) { f in
            try await f.vault.createWorkspace("acme")
            let a = try f.vault.workspace("acme")
            var written: [(String, UInt32, String)] = []
            try await f.otherInstance(maintenance: false) { other in
                let b = try other.workspace("acme")
                for i in 0..<10 {
                    let info = try await (i % 2 == 0 ? a : b).put("s\(i)", value: Self.bytes("value-\(i)"))
                    written.append(("s\(i)", info.version, "value-\(i)"))
                }
            }
            let keys = try #require(try await f.vault.status(workspace: "acme").workspaces.first).dataKeys
            #expect(keys.map(\.encryptionCount) == [3, 3, 3, 1])
            #expect(try await f.maintenanceInt("SELECT SUM(encryption_count)::bigint FROM {S}.data_keys") == 10)
            for (name, version, value) in written {
                #expect(Self.text(try await f.freshVault().workspace("acme").get(name, version: version).value) == value)
            }
            // A per-workspace override set through the maintenance role also holds.
            try await f.vault.setRotationPolicy(workspace: "acme", RotationPolicy(maxEncryptionsPerDataKey: 2))
            for i in 0..<3 { try await a.put("t\(i)", value: Self.bytes("t")) }
            let after = try await f.vault.status(workspace: "acme").workspaces[0]
            #expect(after.dataKeys.allSatisfy { $0.encryptionCount <= 3 })
            #expect(after.dataKeys.reduce(0) { $0 + $1.encryptionCount } == 13)
        }
    }
}
