import Coffer
import CofferCrypto
import CofferSQLite
import CofferStoreConformance
import CofferTestSupport
import Foundation
import GRDB
import InMemoryLogging
import Logging
import Testing

/// The audit log's integrity promises on SQLite beyond single-record tampering: verification
/// under concurrent writers, an emptied or cut log, damaged rows, and failures a wrong KEK
/// keeps out of the chain.
@Suite("Audit log integrity")
struct AuditIntegrityTests {
    // MARK: Consistent snapshot

    @Test("verify while other store instances keep writing raises no false alarm")
    func verifyUnderConcurrentWriters() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        func vault() throws -> Vault {
            Vault(store: try SQLiteStore(path: f.databasePath, logger: VaultFixture.logger), kek: f.kek,
                  configuration: f.configuration, logger: VaultFixture.logger)
        }
        let writers = try (0..<3).map { _ in try vault() }
        try await VaultExpectations.expectAuditVerifiesWhileWriting(
            writers: writers, verifier: try vault(), workspace: "acme", rounds: 40, minimumHeads: 11
        ) { acme, w, i in
            try await acme.put("k\(w)", value: bytes("v\(i)"))
            if i % 4 == 0 { try await acme.delete("k\(w)", version: UInt32(i + 1)) }
        }
        #expect(try await f.freshVault().verifyAudit().intact)
    }

    // MARK: Emptied or cut log

    enum Cut: String, CaseIterable, CustomStringConvertible {
        /// Every record and the head: the audit key remains.
        case everythingButKeys
        /// After a retention purge, every kept record and the head: the checkpoint remains.
        case everythingButCheckpoint
        /// The head alone.
        case head
        /// The head and the newest records.
        case headAndTail
        var description: String { rawValue }
    }

    @Test("an emptied or cut log is detected wherever the store shows records existed", arguments: Cut.allCases)
    func emptiedLog(_ cut: Cut) async throws {
        let f = try await AuditTests.populated()
        var purged = 0
        if cut == .everythingButCheckpoint {
            f.clock.advance(by: 400 * 86_400)
            purged = try await f.vault.purge().auditRecordsPurged
            #expect(purged > 0)
            try #require(try await f.vault.auditRecords().isEmpty == false)
        }
        try await f.database().write { db in
            switch cut {
            case .everythingButKeys, .everythingButCheckpoint:
                try db.execute(sql: "DELETE FROM audit_log; DELETE FROM audit_head")
            case .head:
                try db.execute(sql: "DELETE FROM audit_head")
            case .headAndTail:
                try db.execute(sql: "DELETE FROM audit_head; DELETE FROM audit_log WHERE sequence > 5")
            }
        }
        let result = try await f.freshVault().verifyAudit()
        #expect(!result.intact, "\(cut)")
        switch cut {
        case .everythingButKeys: #expect(result.firstBroken?.sequence == 1)
        case .everythingButCheckpoint: #expect(result.firstBroken?.sequence == UInt64(purged + 1))
        case .head, .headAndTail: #expect(result.firstBroken?.sequence == 0)
        }
    }

    @Test("a log that was never written verifies, also beside data written with auditing off")
    func neverWrittenIsIntact() async throws {
        let f = try VaultFixture { $0.audit.enabled = false }
        #expect(try await f.vault.verifyAudit().intact)
        try await f.vault.createWorkspace("acme")
        try await f.vault.workspace("acme").put("k", value: bytes("v"))
        let result = try await f.vault.verifyAudit()
        #expect(result.intact && result.recordsChecked == 0)
    }

    // MARK: Damaged rows

    enum Damage: String, CaseIterable, CustomStringConvertible {
        case recordTimeText, recordActionUnknown, recordMACNull, recordKeyVersionHuge, headSealText, checkpointCreatedText, keyIDNumber
        var description: String { rawValue }
    }

    /// Rebuilds `table` without STRICT typing (as someone with write access can), so a column
    /// can then hold a value of any type.
    static func loosen(_ db: Database, _ table: String) throws {
        try db.execute(sql: "CREATE TABLE \(table)_loose AS SELECT * FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(table)_loose RENAME TO \(table)")
    }

    @Test("a damaged audit row is reported as tampering naming it, never a trap", arguments: Damage.allCases)
    func damagedRow(_ damage: Damage) async throws {
        let f = try await AuditTests.populated()
        if damage == .checkpointCreatedText {
            f.clock.advance(by: 400 * 86_400)
            try await f.vault.workspace("acme").put("later", value: bytes("later"))
            #expect(try await f.vault.purge().auditRecordsPurged > 0)
        }
        try await f.database().write { db in
            switch damage {
            case .recordTimeText:
                try Self.loosen(db, "audit_log")
                try db.execute(sql: "UPDATE audit_log SET time = 'yesterday' WHERE sequence = 4")
            case .recordActionUnknown:
                try db.execute(sql: "UPDATE audit_log SET action = 'teleport' WHERE sequence = 4")
            case .recordMACNull:
                try Self.loosen(db, "audit_log")
                try db.execute(sql: "UPDATE audit_log SET mac = NULL WHERE sequence = 4")
            case .recordKeyVersionHuge:
                try db.execute(sql: "UPDATE audit_log SET key_version = 1 << 40 WHERE sequence = 4")
            case .headSealText:
                try Self.loosen(db, "audit_head")
                try db.execute(sql: "UPDATE audit_head SET seal = 'sealed'")
            case .checkpointCreatedText:
                try Self.loosen(db, "audit_checkpoint")
                try db.execute(sql: "UPDATE audit_checkpoint SET created_at = 'long ago'")
            case .keyIDNumber:
                try Self.loosen(db, "audit_keys")
                try db.execute(sql: "UPDATE audit_keys SET kek_id = 42")
            }
        }
        let vault = f.freshVault()
        let result = try await vault.verifyAudit()
        #expect(!result.intact, "\(damage)")
        switch damage {
        case .recordTimeText, .recordActionUnknown, .recordMACNull, .recordKeyVersionHuge:
            #expect(result.firstBroken?.sequence == 4)
            #expect(result.firstBroken?.reason.contains("audit record 4 is damaged") == true)
            #expect(result.recordsChecked == 3, "records before the damaged one are checked")
            await #expect(throws: VaultError.self) { _ = try await vault.auditRecords() }
        case .headSealText, .checkpointCreatedText, .keyIDNumber:
            #expect(result.firstBroken?.sequence == 0)
            #expect(result.firstBroken?.reason.contains("is damaged") == true)
        }
    }

    // MARK: Wrong KEK

    @Test("a failure with a wrong KEK cannot extend the chain: it is logged as a warning, without key material")
    func wrongKEKFailureIsLogged() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("acme")
        try await f.vault.workspace("acme").put("k", value: bytes("value"))
        let before = try await AuditTests.count(f)
        let wrongKey = SymmetricKey.generate()
        let wrong = try LocalKEK(wrongKey, displayName: "wrong")
        var log = InMemoryLogHandler()
        log.logLevel = .trace
        let vault = Vault(store: f.store, kek: wrong, configuration: f.configuration, logger: Logger(label: "captured") { [log] _ in log })
        await #expect(throws: VaultError.self) { _ = try await vault.workspace("acme").get("k") }
        await #expect(throws: VaultError.self) { _ = try await vault.workspace("acme").put("k", value: bytes("other")) }
        #expect(try await AuditTests.count(f) == before, "nothing can be chained without the audit key")
        let warnings = log.entries.filter { $0.level == .warning && "\($0.message)".contains("not recorded in the audit log") }
        #expect(warnings.map { "\($0.metadata["action"] ?? "")" }.sorted() == ["get", "put"])
        let keyHex = wrongKey.withUnsafeBytes { Hex.string(Array($0)) }
        #expect(log.entries.allSatisfy { !"\($0.message) \($0.metadata) \($0.error.map { "\($0)" } ?? "")".lowercased().contains(keyHex) })
        #expect(try await f.freshVault().verifyAudit().intact)
    }
}
