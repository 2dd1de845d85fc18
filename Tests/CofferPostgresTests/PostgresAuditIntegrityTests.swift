import Coffer
import CofferCrypto
import CofferPostgres
import CofferStoreConformance
import Foundation
import Testing

/// The audit log's integrity promises on PostgreSQL: verification from one snapshot while other
/// instances write, an emptied log, damaged rows.
@Suite("Audit log integrity on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresAuditIntegrityTests {
    typealias Env = PostgresTestEnvironment

    /// A vault on its own store instance (own pools) over `f`'s schema, like another backend.
    static func instance(_ f: PostgresVaultFixture) async throws -> (Vault, PostgresStore) {
        let (_, application) = try Env.endpoints()
        let store = try await PostgresStore(
            application: application.client(), maintenance: nil, options: .init(schema: f.schema), logger: PostgresVaultFixture.logger)
        return (Vault(store: store, kek: f.kek, configuration: f.configuration, logger: PostgresVaultFixture.logger), store)
    }

    @Test("verify while other instances keep writing raises no false alarm")
    func verifyUnderConcurrentWriters() async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("acme")
            var instances: [(Vault, PostgresStore)] = []
            for _ in 0..<4 { instances.append(try await Self.instance(f)) }
            do {
                try await VaultExpectations.expectAuditVerifiesWhileWriting(
                    writers: instances.dropLast().map(\.0), verifier: instances[instances.count - 1].0,
                    workspace: "acme", rounds: 30, minimumHeads: 6
                ) { acme, w, i in
                    try await acme.put("k\(w)", value: SecretBytes(Array("v\(i)".utf8)))
                }
            } catch {
                for (_, store) in instances { await store.close() }
                throw error
            }
            for (_, store) in instances { await store.close() }
            #expect(try await f.freshVault().verifyAudit().intact)
        }
    }

    enum Cut: String, CaseIterable, CustomStringConvertible {
        case deleteLogAndHead, resetHeadToGenesis, afterPurge
        var description: String { rawValue }
    }

    @Test("an emptied log is detected wherever the store shows records existed", arguments: Cut.allCases)
    func emptiedLog(_ cut: Cut) async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("acme")
            try await f.vault.workspace("acme").put("k", value: SecretBytes(Array("v".utf8)))
            #expect(try await f.vault.verifyAudit().intact)
            var purged = 0
            if cut == .afterPurge {
                f.clock.advance(by: 400 * 86_400)
                try await f.vault.workspace("acme").put("k", value: SecretBytes(Array("w".utf8)))
                purged = try await f.vault.purge().auditRecordsPurged
                #expect(purged > 0)
            }
            switch cut {
            case .deleteLogAndHead, .afterPurge:
                _ = try await f.maintenanceSQL(["DELETE FROM {S}.audit_log", "DELETE FROM {S}.audit_head"])
            case .resetHeadToGenesis:
                _ = try await f.maintenanceSQL([
                    "DELETE FROM {S}.audit_log",
                    "UPDATE {S}.audit_head SET sequence = 0, mac = decode(repeat('00', 32), 'hex'), key_version = 0, seal = ''::bytea",
                ])
            }
            let result = try await f.freshVault().verifyAudit()
            #expect(!result.intact)
            #expect(result.firstBroken?.sequence == (cut == .afterPurge ? UInt64(purged + 1) : 1))
        }
    }

    enum Damage: String, CaseIterable, CustomStringConvertible {
        case timeBecomesText, keyVersionOutOfRange, unknownOutcome, headSealNull
        var description: String { rawValue }
    }

    @Test("a damaged audit row is tampering naming it, and listing does not crash", arguments: Damage.allCases)
    func damagedRow(_ damage: Damage) async throws {
        try await PostgresVaultFixture.with { f in
            try await f.vault.createWorkspace("acme")
            for i in 0..<4 { try await f.vault.workspace("acme").put("k", value: SecretBytes(Array("v\(i)".utf8))) }
            switch damage {
            case .timeBecomesText:
                _ = try await f.maintenanceSQL([
                    "ALTER TABLE {S}.audit_log ALTER COLUMN time TYPE text",
                    "UPDATE {S}.audit_log SET time = 'yesterday' WHERE sequence = 3",
                ])
            case .keyVersionOutOfRange:
                _ = try await f.maintenanceSQL(["UPDATE {S}.audit_log SET key_version = 1::bigint << 40 WHERE sequence = 3"])
            case .unknownOutcome:
                _ = try await f.maintenanceSQL(["UPDATE {S}.audit_log SET outcome = 'maybe' WHERE sequence = 3"])
            case .headSealNull:
                _ = try await f.maintenanceSQL([
                    "ALTER TABLE {S}.audit_head ALTER COLUMN seal DROP NOT NULL", "UPDATE {S}.audit_head SET seal = NULL",
                ])
            }
            let vault = f.freshVault()
            let result = try await vault.verifyAudit()
            #expect(!result.intact)
            if damage == .headSealNull {
                #expect(result.firstBroken?.sequence == 0)
                #expect(result.firstBroken?.reason.contains("the audit chain head is damaged") == true)
            } else {
                // A column's type changes for every row: then record 1 is the first damaged one.
                let first: UInt64 = damage == .timeBecomesText ? 1 : 3
                #expect(result.firstBroken?.sequence == first)
                #expect(result.firstBroken?.reason.contains("audit record \(first) is damaged") == true)
                #expect(result.recordsChecked == Int(first) - 1)
                await #expect(throws: VaultError.self) { _ = try await vault.auditRecords() }
            }
        }
    }
}
