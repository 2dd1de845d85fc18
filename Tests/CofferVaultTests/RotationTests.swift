import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Testing

/// DEK rotation, automatic rotation by count and age, retirement, revocation and KEK rotation
/// through the library, on a real SQLite store.
@Suite("Rotation")
struct RotationTests {
    /// Raw count of stored secret versions sealed under `dekVersion` (read with GRDB, not the
    /// store under test).
    static func rowsSealed(_ f: VaultFixture, workspace: String, dekVersion: UInt32) throws -> Int {
        try f.database().read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM secret_versions WHERE workspace_id = ? AND dek_version = ?",
                arguments: [workspace, Int64(dekVersion)]) ?? -1
        }
    }

    @Test("rotate: new writes use the new primary, old versions still open")
    func rotateDataKey() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        try await acme.put("a", value: bytes("a1"))
        #expect(try await f.vault.rotateDataKey(workspace: "acme") == 2)
        let info = try await acme.put("a", value: bytes("a2"))
        #expect(info.dataKeyVersion == 2)
        #expect(text(try await acme.get("a", version: 1).value) == "a1")
        #expect(try await acme.get("a", version: 1).info.dataKeyVersion == 1)
        // A cold vault (another process) sees both.
        let cold = try f.freshVault().workspace("acme")
        #expect(text(try await cold.get("a").value) == "a2")
        #expect(text(try await cold.get("a", version: 1).value) == "a1")
    }

    @Test("usage limit: the write at the limit rotates first, in this and in another vault; counts stay exact")
    func usageLimitRotation() async throws {
        let f = try VaultFixture { $0.rotationPolicy = RotationPolicy(maxEncryptionsPerDataKey: 3) }
        try await f.vault.createWorkspace("acme")
        let a = try f.vault.workspace("acme")
        let b = try f.freshVault().workspace("acme")   // a second "process" with its own cache
        var written: [(String, UInt32, String)] = []
        for i in 0..<10 {
            let scope = i % 2 == 0 ? a : b
            let info = try await scope.put("s\(i)", value: bytes("value-\(i)"))
            written.append(("s\(i)", info.version, "value-\(i)"))
        }
        let status = try await f.vault.status(workspace: "acme")
        let keys = try #require(status.workspaces.first).dataKeys
        #expect(keys.allSatisfy { $0.encryptionCount <= 3 })
        #expect(keys.reduce(0) { $0 + $1.encryptionCount } == 10)
        #expect(keys.count == 4)   // 3 + 3 + 3 + 1
        for (name, version, value) in written {
            #expect(text(try await f.freshVault().workspace("acme").get(name, version: version).value) == value)
        }
    }

    @Test("age limit: a write after the max age rotates first (injected clock)")
    func ageRotation() async throws {
        let f = try VaultFixture { $0.rotationPolicy = RotationPolicy(maxDataKeyAgeSeconds: 3600, maxEncryptionsPerDataKey: nil) }
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        #expect(try await acme.put("x", value: bytes("1")).dataKeyVersion == 1)
        f.clock.advance(by: 3599)
        #expect(try await acme.put("x", value: bytes("2")).dataKeyVersion == 1)
        f.clock.advance(by: 2)
        #expect(try await f.vault.status(workspace: "acme").workspaces[0].rotationDue)
        #expect(try await acme.put("x", value: bytes("3")).dataKeyVersion == 2)
        #expect(try await acme.put("x", value: bytes("4")).dataKeyVersion == 2)
        #expect(text(try await acme.get("x", version: 1).value) == "1")
    }

    @Test("workspace policy overrides the vault policy")
    func workspacePolicyOverride() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        try await f.vault.setRotationPolicy(workspace: "acme", RotationPolicy(maxEncryptionsPerDataKey: 2))
        let acme = try f.vault.workspace("acme")
        let versions = try await (0..<5).asyncMap { try await acme.put("k", value: bytes("v\($0)")).dataKeyVersion }
        #expect(versions == [1, 1, 2, 2, 3])
        await #expect(throws: VaultError.self) {
            try await f.vault.setRotationPolicy(workspace: "acme", RotationPolicy(maxEncryptionsPerDataKey: (1 << 32) + 1))
        }
        let status = try await f.vault.status(workspace: "acme").workspaces[0]
        #expect(status.policy.maxEncryptionsPerDataKey == 2)
        #expect(status.policyOverride != nil)
        try await f.vault.setRotationPolicy(workspace: "acme", nil)
        #expect(try await f.vault.status(workspace: "acme").workspaces[0].policy == .standard)
    }

    @Test("retire is refused with the count while versions (live and deleted) use old keys; allowed after reencrypt")
    func retireRefusedThenAllowed() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        for i in 0..<4 { try await acme.put("s\(i)", value: bytes("old-\(i)")) }
        try await acme.delete("s3")
        try await f.vault.rotateDataKey(workspace: "acme")
        try await acme.put("s0", value: bytes("new-0"))
        do {
            try await f.vault.retireDataKeys(workspace: "acme", below: 2)
            Issue.record("retire succeeded while 4 secret versions use data key 1")
        } catch let error as VaultError {
            #expect(error == .dataKeyInUse(workspace: "acme", versions: [1], count: 4))
            #expect(error.description.contains("coffer reencrypt acme"))
        }
        let report = try await f.vault.reencrypt(workspace: "acme", batchSize: 3)
        #expect(report.reencrypted == 4 && report.total == 4 && report.finished)
        try await f.vault.retireDataKeys(workspace: "acme", below: 2)
        let cold = try f.freshVault().workspace("acme")
        for i in 0..<3 { #expect(text(try await cold.get("s\(i)", version: 1).value) == "old-\(i)") }
        #expect(text(try await cold.get("s0").value) == "new-0")
        try await acme.undelete("s3")
        #expect(text(try await cold.get("s3").value) == "old-3")
        let ws = try await f.vault.status(workspace: "acme").workspaces[0]
        #expect(ws.minimumDecryptionVersion == 2)
        #expect(ws.dataKeys.first { $0.version == 1 }?.retired == true)
        #expect(ws.secretVersionsToReencrypt == 0)
    }

    @Test("revoke the primary: rotates, re-encrypts, destroys; nothing references it afterwards")
    func revoke() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        try await f.vault.createWorkspace("other")
        let acme = try f.vault.workspace("acme")
        for i in 0..<25 { try await acme.put("s\(i % 10)", value: bytes("v\(i)")) }
        try await f.vault.workspace("other").put("o", value: bytes("other"))
        let report = try await f.vault.revokeDataKey(workspace: "acme", version: 1)
        #expect(report.reencrypted == 25)
        #expect(try Self.rowsSealed(f, workspace: "acme", dekVersion: 1) == 0)
        let keys = try await f.store.dataKeys(workspace: "acme")
        #expect(keys.map(\.version) == [2])
        for i in 15..<25 { #expect(text(try await acme.get("s\(i % 10)").value) == "v\(i)") }
        #expect(text(try await f.freshVault().workspace("acme").get("s0", version: 1).value) == "v0")
        #expect(text(try await f.vault.workspace("other").get("o").value) == "other")
        await #expect(throws: VaultError.dataKeyNotFound(workspace: "acme", version: 1)) {
            try await f.vault.revokeDataKey(workspace: "acme", version: 1)
        }
    }

    @Test("KEK rotation: rewraps data keys only; old KEK no longer needed; second run is a no-op")
    func kekRotation() async throws {
        let f = try VaultFixture()
        for ws in ["a", "b", "c"] {
            try await f.vault.createWorkspace(ws)
            try await f.vault.workspace(ws).put("s", value: bytes("\(ws)-1"))
            try await f.vault.rotateDataKey(workspace: ws)
            try await f.vault.workspace(ws).put("s", value: bytes("\(ws)-2"))
        }
        let ciphertextsBefore = try await f.database().read { db in try Data.fetchAll(db, sql: "SELECT ciphertext FROM secret_versions ORDER BY workspace_id, name, version") }
        let newKEK = try LocalKEK(SymmetricKey.generate(), displayName: "new")
        let report = try await f.vault.rotateKEK(to: newKEK, batchSize: 2)
        #expect(report.finished && report.rewrapped == 6 && report.total == 6)
        let ciphertextsAfter = try await f.database().read { db in try Data.fetchAll(db, sql: "SELECT ciphertext FROM secret_versions ORDER BY workspace_id, name, version") }
        #expect(ciphertextsBefore == ciphertextsAfter)   // no secret re-encrypted

        let onlyNew = f.freshVault(kek: newKEK)
        let status = try await onlyNew.status()
        #expect(!status.otherKEKsNeeded)
        #expect(status.keks.map(\.kekID) == [newKEK.id])
        for ws in ["a", "b", "c"] {
            #expect(text(try await onlyNew.workspace(ws).get("s", version: 1).value) == "\(ws)-1")
            #expect(text(try await onlyNew.workspace(ws).get("s").value) == "\(ws)-2")
        }
        // The old KEK alone no longer opens anything.
        await #expect(throws: VaultError.self) { try await f.freshVault().workspace("a").get("s") }
        let again = try await onlyNew.rotateKEK(to: newKEK)
        #expect(again.rewrapped == 0 && again.total == 0 && again.finished)
    }

    @Test("unfinished KEK rotation: both KEKs work; the missing one is named; rerun finishes")
    func unfinishedKEKRotation() async throws {
        let f = try VaultFixture()
        for ws in ["a", "b", "c", "d"] {
            try await f.vault.createWorkspace(ws)
            try await f.vault.workspace(ws).put("s", value: bytes("\(ws)-value"))
        }
        let newKEK = try LocalKEK(SymmetricKey.generate(), displayName: "new")
        // Half a rotation, as a killed run leaves it: two data keys re-wrapped, two not.
        let some = try await f.store.dataKeys(notWrappedBy: newKEK.id, limit: 2)
        var rewraps: [DataKeyRewrap] = []
        for row in some {
            let dek = try f.kek.unwrap(row.wrapped, workspace: row.wrapBinding, dataKeyVersion: row.version)
            rewraps.append(DataKeyRewrap(
                workspace: row.workspace, version: row.version, expectedKEKID: row.wrapped.kekID,
                wrapped: try newKEK.wrap(dek, workspace: row.wrapBinding, dataKeyVersion: row.version)))
        }
        #expect(try await f.store.rewrapDataKeys(rewraps) == 2)

        let oldFirst = Vault(store: f.store, kek: f.kek, previousKEKs: [newKEK], configuration: f.configuration, logger: VaultFixture.logger)
        let newFirst = Vault(store: f.store, kek: newKEK, previousKEKs: [f.kek], configuration: f.configuration, logger: VaultFixture.logger)
        for vault in [oldFirst, newFirst] {
            for ws in ["a", "b", "c", "d"] { #expect(text(try await vault.workspace(ws).get("s").value) == "\(ws)-value") }
        }
        #expect(try await newFirst.status().otherKEKsNeeded)
        // With the new KEK alone, the data keys still under the old one fail with a message
        // naming the old KEK and how to finish.
        let onlyNew = f.freshVault(kek: newKEK)
        var sawMissing = false
        for ws in ["a", "b", "c", "d"] {
            do {
                _ = try await onlyNew.workspace(ws).get("s")
            } catch VaultError.keyUnavailable(let message) {
                sawMissing = true
                #expect(message.contains(f.kek.id.description))
                #expect(message.contains("coffer rotate-kek"))
            }
        }
        #expect(sawMissing)
        let report = try await newFirst.rotateKEK(to: newKEK)
        #expect(report.finished && report.rewrapped == 2)
        for ws in ["a", "b", "c", "d"] { #expect(text(try await onlyNew.workspace(ws).get("s").value) == "\(ws)-value") }
        #expect(!(try await onlyNew.status().otherKEKsNeeded))
    }

    @Test("writers running during re-encryption lose nothing and nothing is reverted")
    func concurrentWritersDuringReencryption() async throws {
        let f = try VaultFixture { $0.maxVersionsPerSecret = 10_000 }
        try await f.vault.createWorkspace("acme")
        let acme = try f.vault.workspace("acme")
        let names = (0..<20).map { "s\($0)" }
        let written = WrittenValues()
        for name in names {
            let info = try await acme.put(name, value: bytes("\(name)-initial"))
            written.record(name, info.version, "\(name)-initial")
        }
        // Another process's vault, warmed up before the rotation: its cached primary stays
        // version 1, so it keeps writing under the old key while re-encryption runs.
        let writerVault = f.freshVault()
        _ = try await writerVault.workspace("acme").get(names[0])
        try await f.vault.rotateDataKey(workspace: "acme")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<6 {
                let scope = try (w % 2 == 0 ? f.vault : writerVault).workspace("acme")
                group.addTask {
                    for i in 0..<30 {
                        let name = names[(w * 7 + i) % names.count]
                        let value = "\(name)-w\(w)-\(i)"
                        let info = try await scope.put(name, value: SecretBytes(Array(value.utf8)))
                        written.record(name, info.version, value)
                    }
                }
            }
            group.addTask {
                for round in 0..<4 {
                    try await f.vault.reencrypt(workspace: "acme", batchSize: 4)
                    if round == 1 { try await f.vault.rotateDataKey(workspace: "acme") }
                }
            }
            try await group.waitForAll()
        }
        try await f.freshVault().reencrypt(workspace: "acme", batchSize: 7)
        let expected = written.all
        let reader = try f.freshVault().workspace("acme")
        var total = 0
        for name in names {
            let history = try await reader.history(name)
            #expect(history.map(\.version) == expected[name, default: [:]].keys.sorted(), "versions of \(name)")
            for info in history {
                #expect(text(try await reader.get(name, version: info.version).value) == expected[name]?[info.version], "\(name) v\(info.version)")
                total += 1
            }
        }
        #expect(total == 20 + 6 * 30)
        let ws = try await f.vault.status(workspace: "acme").workspaces[0]
        #expect(ws.secretVersionsToReencrypt == 0)
    }

    @Test("a store without rotation support gives a clear error")
    func nonRotatingStore() async throws {
        let f = try VaultFixture()
        let vault = Vault(store: PlainStore(inner: f.store), kek: f.kek, logger: VaultFixture.logger)
        try await vault.createWorkspace("acme")
        do {
            try await vault.rotateDataKey(workspace: "acme")
            Issue.record("rotation succeeded on a store that cannot rotate")
        } catch VaultError.storeUnavailable(let message) {
            #expect(message.contains("RotatingSecretStore"))
        }
    }
}

/// What concurrent writers wrote: name → version → value.
final class WrittenValues: Sendable {
    private let values = PosixMutex([String: [UInt32: String]]())
    func record(_ name: String, _ version: UInt32, _ value: String) { values.withLock { $0[name, default: [:]][version] = value } }
    var all: [String: [UInt32: String]] { values.withLock { $0 } }
}

/// A store that only offers the base contract.
struct PlainStore: SecretStore {
    let inner: SQLiteStore
    func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws {
        try await inner.createWorkspace(workspace, firstDataKey: firstDataKey)
    }
    func workspace(_ id: String) async throws -> WorkspaceRecord? { try await inner.workspace(id) }
    func listWorkspaces() async throws -> [WorkspaceRecord] { try await inner.listWorkspaces() }
    func dataKeys(workspace: String) async throws -> [DataKeyRecord] { try await inner.dataKeys(workspace: workspace) }
    func putSecretVersion(_ request: PutSecretRequest, seal: @Sendable (UInt32) throws -> [UInt8]) async throws -> SecretVersionInfo {
        try await inner.putSecretVersion(request, seal: seal)
    }
    func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion? {
        try await inner.secretVersion(workspace: workspace, name: name, version: version)
    }
    func listSecrets(workspace: String) async throws -> [SecretSummary] { try await inner.listSecrets(workspace: workspace) }
    func history(workspace: String, name: String) async throws -> [SecretVersionInfo] { try await inner.history(workspace: workspace, name: name) }
    func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32] {
        try await inner.setDeleted(workspace: workspace, name: name, versions: versions, deletedAt: deletedAt)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
