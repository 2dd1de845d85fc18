import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Testing

/// Issue 10, section 1: integers and times read from PostgreSQL rows are range-checked before
/// they are converted. A row edited out of range never crashes a reader: a rotation policy out
/// of range is ``VaultError/storeCorrupted(_:)``, a time outside 0001...9999 reads clamped.
@Suite("PostgreSQL rows out of range", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresStoredRangeTests {
    typealias Fixture = PostgresVaultFixture

    @Test("a rotation policy edited out of range is a damaged store until cleared")
    func policyOutOfRange() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            #expect(try await f.maintenanceSQL(["UPDATE {S}.workspaces SET max_dek_age_seconds = 1e300 WHERE id = 'acme' RETURNING 1"]) == [1])
            let vault = f.freshVault()
            await #expect(throws: VaultError.self) { _ = try await vault.status(workspace: "acme") }
            do {
                _ = try await vault.status(workspace: "acme")
            } catch let error as VaultError {
                guard case .storeCorrupted(let message) = error else { Issue.record("unexpected \(error)"); return }
                #expect(message.contains("coffer policy acme --clear"))
            }
            try await vault.setRotationPolicy(workspace: "acme", nil)
            #expect(try await vault.status(workspace: "acme").workspaces.first?.policyOverride == nil)
        }
    }

    @Test("a column altered to another type is a damaged store naming the column, not a crash")
    func columnOfAnotherType() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            _ = try await f.maintenanceSQL(["ALTER TABLE {S}.workspaces ALTER COLUMN created_at TYPE text"])
            let vault = f.freshVault()
            do {
                _ = try await vault.status(workspace: "acme")
                Issue.record("status read a damaged row")
            } catch let error as VaultError {
                guard case .storeCorrupted(let message) = error else { Issue.record("unexpected \(error)"); return }
                #expect(message.contains("created_at"))
            }
        }
    }

    @Test("times outside 0001...9999 read as the nearest end of the range")
    func timesOutOfRange() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            try await f.vault.workspace("acme").put("tok", value: SecretBytes(Array("v".utf8)))
            #expect(try await f.maintenanceSQL([
                "UPDATE {S}.secret_versions SET created_at = 9223372036854775807, expires_at = -9223372036854775808 WHERE workspace_id = 'acme' RETURNING 1",
            ]) == [1])
            let vault = f.freshVault()
            let summary = try #require(try await vault.workspace("acme").list().first)
            #expect(summary.createdAt == StoredTime.date(micros: StoredTime.maximumMicros))
            #expect(summary.metadata.expiresAt == StoredTime.date(micros: StoredTime.minimumMicros))
            let export = try await vault.workspace("acme").export()
            #expect(export.secrets.count == 1)
            let json = String(decoding: try JSONEncoder().encode(export), as: UTF8.self)
            #expect(json.contains("9999-12-31T23:59:59.999999Z"))
        }
    }
}
