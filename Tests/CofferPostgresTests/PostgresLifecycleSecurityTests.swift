import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import PostgresNIO
import Testing

/// Grants and row-level security of the lifecycle schema (migration 2), proven with raw SQL as
/// the application role, and the role split of the lifecycle methods.
@Suite("PostgreSQL lifecycle grants", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresLifecycleSecurityTests {
    typealias Env = PostgresTestEnvironment
    typealias RLS = PostgresRowLevelSecurityTests
    static let epoch = Date(timeIntervalSince1970: 1_760_000_000)

    /// One audit record appended through the store (the store never checks MACs).
    static func appendOne(_ store: PostgresStore, workspace: String? = "a") async throws {
        _ = try await store.appendAudit(count: 1) { head in
            let record = AuditRecord(
                sequence: head.sequence + 1,
                event: AuditEvent(time: epoch, actor: "svc", action: .put, outcome: .success, workspace: workspace, name: "db", version: 1),
                keyVersion: 1, mac: Array(repeating: UInt8(truncatingIfNeeded: head.sequence + 1), count: 32))
            return ([record], AuditChainHead(sequence: record.sequence, mac: record.mac, keyVersion: 1, seal: [9]))
        }
    }

    /// Runs `sql` as the application role (bound to workspace a) in its own transaction and
    /// returns the SQLSTATE it failed with, or nil when it succeeded.
    static func failure(asApplication sql: String) async throws -> String? {
        try await Env.withConnection(asApplication: true) { c in
            try await c.query("BEGIN", logger: Env.logger)
            try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
            do {
                try await c.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger)
                try await c.query("ROLLBACK", logger: Env.logger)
                return nil
            } catch {
                try await c.query("ROLLBACK", logger: Env.logger)
                return RLS.sqlState(error)
            }
        }
    }

    @Test func theApplicationRoleAppendsToTheAuditLogButNeverChangesOrDeletesIt() async throws {
        try await Env.withStore { store, schema in
            try await RLS.seed(store)
            try await Self.appendOne(store)
            try await Self.appendOne(store)
            let s = "\"\(schema)\""
            let forbidden = [
                "UPDATE \(s).audit_log SET actor = 'someone-else'",
                "UPDATE \(s).audit_log SET mac = '\\x00' WHERE sequence = 1",
                "DELETE FROM \(s).audit_log",
                "DELETE FROM \(s).audit_log WHERE sequence = 2",
                "TRUNCATE \(s).audit_log",
                "DELETE FROM \(s).audit_head",
                "INSERT INTO \(s).audit_checkpoint (id, sequence, mac, created_at, key_version, seal) VALUES (true, 2, '\\x00', 0, 1, '\\x00')",
                "UPDATE \(s).audit_checkpoint SET sequence = 5",
                "DELETE FROM \(s).audit_checkpoint",
                "UPDATE \(s).audit_keys SET kek_id = 'x'",
                "DELETE FROM \(s).audit_keys",
                "ALTER TABLE \(s).audit_log DISABLE TRIGGER ALL",
                "UPDATE \(s).workspaces SET shredded_at = 1 WHERE id = 'a'",
                "UPDATE \(s).workspaces SET key_generation = 'x' WHERE id = 'a'",
                "DELETE FROM \(s).secrets WHERE workspace_id = 'a'",
            ]
            for sql in forbidden {
                #expect(try await Self.failure(asApplication: sql) == "42501", "\(sql)")
            }
            // What it may do, it can: read and append records, move the head, add audit keys,
            // read the checkpoint.
            let allowed = [
                "SELECT * FROM \(s).audit_log",
                """
                INSERT INTO \(s).audit_log (sequence, time, actor, action, outcome, key_version, mac)
                VALUES (3, 0, 'svc', 'put', 'success', 1, '\\x00')
                """,
                "UPDATE \(s).audit_head SET sequence = 3",
                "INSERT INTO \(s).audit_keys (version, kek_id, wrapped, created_at) VALUES (7, 'k', '\\x00', 0)",
                "SELECT * FROM \(s).audit_checkpoint",
                "UPDATE \(s).workspaces SET deleted_at = 5 WHERE id = 'a'",
            ]
            for sql in allowed {
                #expect(try await Self.failure(asApplication: sql) == nil, "\(sql)")
            }
            // Nothing above was committed.
            let records = try await store.auditRecords(AuditQuery())
            #expect(records.map(\.sequence) == [1, 2])
            #expect(records.allSatisfy { $0.event.actor == "svc" })
            #expect(try await store.auditHead().sequence == 2)
            #expect(try await store.auditCheckpoint() == nil)
        }
    }

    @Test func theShredFunctionOnlyShredsTheBoundWorkspaceAndOnlyForItsGrantees() async throws {
        try await Env.withStore { store, schema in
            try await RLS.seed(store)
            let s = "\"\(schema)\""
            // Bound to a, calling the function cannot reach b: it shreds a (the only row it sees).
            try await Env.withConnection(asApplication: true) { c in
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'b', true)", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                let rows = try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT dek_versions, versions_destroyed FROM \(s).shred_bound_workspace(1, 'g')"),
                    logger: Env.logger
                ).collect()
                let (keys, versions) = try #require(rows.first).decode(([Int64], Int64).self)
                #expect(keys == [1])
                #expect(versions == 2)
                // Unbound: nothing to shred.
                try await c.query("SELECT set_config('coffer.workspace', '', true)", logger: Env.logger)
                let none = try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT * FROM \(s).shred_bound_workspace(1, 'g')"), logger: Env.logger
                ).collect()
                #expect(none.isEmpty)
                try await c.query("ROLLBACK", logger: Env.logger)
            }
            #expect(try await store.history(workspace: "a", name: "db").count == 2)
            #expect(try await store.history(workspace: "b", name: "db").count == 2)
            // Only the application role (and the owner) may execute it.
            let acl = try await Env.withConnection(asApplication: false) { c in
                try await c.query("""
                    SELECT has_function_privilege('public', p.oid, 'EXECUTE')
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = \(schema) AND p.proname = 'shred_bound_workspace'
                    """, logger: Env.logger).collect()
            }
            #expect(try #require(acl.first).decode(Bool.self) == false)
        }
    }

    @Test func fleetWideLifecycleMethodsNeedTheMaintenanceRole() async throws {
        try await Env.withStore(maintenance: false) { appOnly, _ in
            #expect(!appOnly.hasMaintenanceAccess)
            let checkpoint = AuditCheckpoint(sequence: 1, mac: Array(repeating: 1, count: 32), createdAt: Self.epoch, keyVersion: 1, seal: [1])
            let kek = RLS.kek()
            let attempts: [(String, @Sendable () async throws -> Void)] = [
                ("workspacesDeleted", { _ = try await appOnly.workspacesDeleted(atOrBefore: Self.epoch) }),
                ("purgeDeletedSecretVersions", { _ = try await appOnly.purgeDeletedSecretVersions(deletedAtOrBefore: Self.epoch, limit: 10) }),
                ("purgeAudit", { _ = try await appOnly.purgeAudit(through: checkpoint) }),
                ("rewrapAuditKey", {
                    _ = try await appOnly.rewrapAuditKey(version: 1, expectedKEKID: kek, wrapped: WrappedDataKey(kekID: kek, ciphertext: [1]))
                }),
            ]
            for (name, attempt) in attempts {
                do {
                    try await attempt()
                    Issue.record("\(name) ran without the maintenance role")
                } catch let error as VaultError {
                    guard case .storeUnavailable(let why) = error else {
                        Issue.record("\(name): \(error)")
                        continue
                    }
                    #expect(why.contains("needs the PostgreSQL maintenance role"), "\(name): \(why)")
                }
            }
            // The application role alone appends and reads the audit log and its keys.
            try await Self.appendOne(appOnly)
            #expect(try await appOnly.auditHead().sequence == 1)
            #expect(try await appOnly.auditRecords(AuditQuery()).count == 1)
            #expect(try await appOnly.lastAuditSequence(before: Self.epoch.addingTimeInterval(1)) == 1)
            #expect(try await appOnly.auditCheckpoint() == nil)
            let key = AuditKeyRecord(version: 1, wrapped: WrappedDataKey(kekID: kek, ciphertext: [4, 5]), createdAt: Self.epoch)
            #expect(try await appOnly.insertAuditKey(key))
            #expect(try await appOnly.insertAuditKey(key) == false)
            #expect(try await appOnly.auditKeys() == [key])
        }
    }

    @Test func workspaceScopedLifecycleWritesRunAsTheApplicationRole() async throws {
        try await Env.withStore { admin, schema in
            try await RLS.seed(admin)
            let (_, application) = try Env.endpoints()
            let appOnly = try await PostgresStore(
                application: application.client(), maintenance: nil, options: .init(schema: schema), logger: Env.logger)
            do {
                let request = { (name: String) in
                    PutSecretRequest(
                        workspace: "a", name: name, expectedCurrentVersion: nil, metadata: SecretMetadata(),
                        dataKeyVersion: 1, maxVersions: 10, now: Self.epoch)
                }
                let infos = try await appOnly.putSecretVersions([request("z"), request("db")]) { index, version in [UInt8(index), UInt8(version)] }
                #expect(infos.map(\.name) == ["z", "db"])
                #expect(infos.map(\.version) == [1, 3])
                #expect(try await appOnly.secretVersion(workspace: "a", name: "z", version: nil)?.ciphertext == [0, 1])
                #expect(try await appOnly.secretVersion(workspace: "a", name: "db", version: nil)?.ciphertext == [1, 3])
                #expect(try await appOnly.setWorkspaceDeleted("a", at: Self.epoch))
                #expect(try await appOnly.listSecrets(workspace: "a").isEmpty)
                #expect(try await appOnly.setWorkspaceDeleted("a", at: nil))
                #expect(try await appOnly.listSecrets(workspace: "a").count == 2)
                let shred = try #require(try await appOnly.shredWorkspace("a", now: Self.epoch, newKeyGeneration: "00112233445566778899aabbccddeeff"))
                #expect(shred == WorkspaceShredResult(dataKeyVersionsDestroyed: [1], secretVersionsDestroyed: 4))
                #expect(try await appOnly.shredWorkspace("a", now: Self.epoch, newKeyGeneration: "ffeeddccbbaa99887766554433221100") == nil)
                let tomb = try #require(try await appOnly.workspace("a"))
                #expect(tomb.keyGeneration == "00112233445566778899aabbccddeeff")
                #expect(tomb.shreddedAt != nil && tomb.deletedAt != nil)
                #expect(try await appOnly.dataKeys(workspace: "a").isEmpty)
                // b is untouched.
                #expect(try await appOnly.history(workspace: "b", name: "db").map(\.version) == [1, 2])
                #expect(try await appOnly.dataKeys(workspace: "b").map(\.version) == [1])
            } catch {
                await appOnly.close()
                throw error
            }
            await appOnly.close()
        }
    }
}
