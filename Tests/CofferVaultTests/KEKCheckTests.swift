import Coffer
import CofferCrypto
import CofferStoreConformance
import Foundation
import GRDB
import Testing

/// Every operation that wraps a key proves first that the vault's KEK is the store's: a wrong
/// but well-formed KEK is refused with ``VaultError/wrongKEK(configured:stored:)`` and leaves
/// the store exactly as it was; the right KEK still works afterwards.
@Suite struct KEKCheckTests {
    /// Every row of every table, in a stable order; of the audit tables only the audit keys
    /// (a failed operation may append audit records by design, but never wrap a key).
    static func snapshot(_ f: VaultFixture) throws -> [String] {
        try f.database().read { db in
            var out: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            where !table.hasPrefix("audit_") || table == "audit_keys" {
                out += try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier)").map { "\(table): \($0)" }.sorted()
            }
            return out
        }
    }

    static func wrongKEK() throws -> LocalKEK { try LocalKEK(SymmetricKey.generate(), displayName: "wrong") }

    /// A store with workspace `acme` holding one secret, written with `f.kek`.
    static func populated(configure: (inout VaultConfiguration) -> Void = { _ in }) async throws -> VaultFixture {
        let f = try VaultFixture(configure: configure)
        try await f.vault.createWorkspace("acme")
        try await f.vault.workspace("acme").put("db/password", value: bytes("hunter2-kek-check"))
        return f
    }

    @Test func everyKeyWrappingOperationRefusesAWrongKEKAndChangesNothing() async throws {
        let f = try await Self.populated()
        let before = try Self.snapshot(f)
        let wrong = f.freshVault(kek: try Self.wrongKEK())
        await VaultExpectations.expectWrongKEK { try await wrong.createWorkspace("beta") }
        await VaultExpectations.expectWrongKEK { try await wrong.rotateDataKey(workspace: "acme") }
        await VaultExpectations.expectWrongKEK { try await wrong.revokeDataKey(workspace: "acme", version: 1) }
        await VaultExpectations.expectWrongKEK { try await wrong.rotateKEK(to: try Self.wrongKEK()) }
        await VaultExpectations.expectWrongKEK { try await wrong.checkKEK() }
        #expect(try Self.snapshot(f) == before)

        // The right KEK still reads and writes.
        let right = f.freshVault()
        #expect(text(try await right.workspace("acme").get("db/password").value) == "hunter2-kek-check")
        try await right.workspace("acme").put("db/password", value: bytes("next"))
        #expect(try await right.rotateDataKey(workspace: "acme") == 2)
    }

    @Test func automaticRotationOnPutRefusesAWrongKEK() async throws {
        let f = try await Self.populated { $0.rotationPolicy.maxDataKeyAgeSeconds = 60 }
        f.clock.advance(by: 120)  // the primary key is now due for rotation
        let before = try Self.snapshot(f)
        let wrong = f.freshVault(kek: try Self.wrongKEK())
        await VaultExpectations.expectWrongKEK { try await wrong.workspace("acme").put("db/password", value: bytes("written-under-the-wrong-kek")) }
        #expect(try Self.snapshot(f) == before)
        let right = f.freshVault()
        try await right.workspace("acme").put("db/password", value: bytes("rotated"))
        #expect(text(try await f.freshVault().workspace("acme").get("db/password").value) == "rotated")
    }

    @Test func theFirstAuditKeyIsNotWrappedByAWrongKEK() async throws {
        // Workspaces written with auditing off: the store holds data keys but no audit key yet.
        let f = try await Self.populated { $0.audit.enabled = false }
        let before = try Self.snapshot(f)
        let wrong = f.freshVault(kek: try Self.wrongKEK()) { $0.audit.enabled = true }
        // A read fails (the data key does not open) and its audit record must not create an
        // audit key under the wrong KEK.
        await #expect(throws: VaultError.authenticationFailed) { try await wrong.workspace("acme").get("db/password") }
        await VaultExpectations.expectWrongKEK { try await wrong.createWorkspace("beta") }
        #expect(try Self.snapshot(f) == before)
        // The right KEK creates it.
        let right = f.freshVault { $0.audit.enabled = true }
        try await right.createWorkspace("beta")
        #expect(try await right.verifyAudit().intact)
    }

    @Test func anEmptyStoreAcceptsTheFirstKEKAndThenOnlyIt() async throws {
        let f = try VaultFixture()
        let first = f.freshVault(kek: try Self.wrongKEK())
        try await first.checkKEK()  // nothing to prove against: no error, nothing written
        try await first.createWorkspace("acme")
        await VaultExpectations.expectWrongKEK { try await f.vault.createWorkspace("beta") }
        #expect(try await f.store.listWorkspaces().map(\.id) == ["acme"])
    }

    @Test func anUnfinishedKEKRotationAcceptsItsConfiguredKEKsOnly() async throws {
        let f = try await Self.populated()
        try await f.vault.createWorkspace("beta")
        let newKEK = try Self.wrongKEK()
        // Not started yet: the new KEK wraps nothing, the old one (configured as previous) opens the keys.
        let switched = Vault(store: f.store, kek: newKEK, previousKEKs: [f.kek], configuration: f.configuration, logger: VaultFixture.logger)
        try await switched.checkKEK()
        // Half done: one data key re-wrapped by hand, the rest still under the old KEK.
        let row = try #require(try await f.store.dataKeys(workspace: "acme").first)
        let dek = try f.kek.unwrap(row.wrapped, workspace: row.wrapBinding, dataKeyVersion: row.version)
        _ = try await f.store.rewrapDataKeys([DataKeyRewrap(
            workspace: "acme", version: row.version, expectedKEKID: f.kek.id,
            wrapped: try newKEK.wrap(dek, workspace: row.wrapBinding, dataKeyVersion: row.version))])
        let resumed = Vault(store: f.store, kek: newKEK, previousKEKs: [f.kek], configuration: f.configuration, logger: VaultFixture.logger)
        try await resumed.createWorkspace("gamma")
        // A third KEK with the old one as previous would leave keys under a KEK nobody configured.
        let before = try Self.snapshot(f)
        let stray = Vault(store: f.store, kek: try Self.wrongKEK(), previousKEKs: [f.kek], configuration: f.configuration, logger: VaultFixture.logger)
        await VaultExpectations.expectWrongKEK { try await stray.createWorkspace("delta") }
        await VaultExpectations.expectWrongKEK { try await stray.rotateDataKey(workspace: "beta") }
        #expect(try Self.snapshot(f) == before)
    }

    @Test func keysRecordedUnderTheKEKThatDoNotOpenAreTampering() async throws {
        let f = try await Self.populated()
        // Every wrapped key recorded under the KEK's id is damaged.
        try await f.database().write { db in
            try db.execute(sql: "UPDATE data_keys SET wrapped = zeroblob(length(wrapped))")
            try db.execute(sql: "UPDATE audit_keys SET wrapped = zeroblob(length(wrapped))")
        }
        let before = try Self.snapshot(f)
        await #expect(throws: VaultError.authenticationFailed) { try await f.freshVault().createWorkspace("beta") }
        #expect(try Self.snapshot(f) == before)
    }

    @Test func theProofIsMadeOncePerVaultAndAReadCountsAsOne() async throws {
        let f = try await Self.populated { $0.audit.enabled = false }
        let counting = CountingKEK(f.kek)
        let vault = f.freshVault(kek: counting) { $0.audit.enabled = false }
        for ws in ["b1", "b2", "b3"] { try await vault.createWorkspace(ws) }
        try await vault.rotateDataKey(workspace: "acme")
        try await vault.workspace("acme").delete("db/password")
        try await vault.workspace("b1").put("k", value: bytes("v"))  // its data key is cached: no unwrap
        #expect(counting.unwrapCount == 1, "one proof, then cached")

        // A read that unwraps a data key with the current KEK is the proof: no extra unwrap.
        let reader = CountingKEK(f.kek)
        let other = f.freshVault(kek: reader) { $0.audit.enabled = false }
        #expect(text(try await other.workspace("b1").get("k").value) == "v")
        #expect(reader.unwrapCount == 1)
        try await other.rotateDataKey(workspace: "b1")
        try await other.createWorkspace("b4")
        try await other.workspace("acme").undelete("db/password")
        #expect(reader.unwrapCount == 1)
    }
}
