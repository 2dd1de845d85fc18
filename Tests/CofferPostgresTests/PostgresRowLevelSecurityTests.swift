import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import PostgresNIO
import Testing

/// Proof that the database, not Coffer's SQL, isolates workspaces: raw SQL as the application
/// role, bound to workspace A, cannot see, change, delete or create workspace B's rows.
@Suite("PostgreSQL row-level security", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresRowLevelSecurityTests {
    typealias Env = PostgresTestEnvironment
    static let tables = ["workspaces", "data_keys", "secrets", "secret_versions"]

    static func kek() -> KEKIdentifier { try! KEKIdentifier(bytes: Array(repeating: 7, count: 16)) }

    /// Workspaces a and b, each with one secret of two versions.
    static func seed(_ store: PostgresStore) async throws {
        let epoch = Date(timeIntervalSince1970: 1_760_000_000)
        for ws in ["a", "b"] {
            try await store.createWorkspace(
                WorkspaceRecord(id: ws, createdAt: epoch, primaryDataKeyVersion: 1),
                firstDataKey: DataKeyRecord(workspace: ws, version: 1, wrapped: WrappedDataKey(kekID: kek(), ciphertext: [1, 2, 3]), createdAt: epoch))
            for _ in 0..<2 {
                _ = try await store.putSecretVersion(PutSecretRequest(
                    workspace: ws, name: "db", expectedCurrentVersion: nil, metadata: SecretMetadata(),
                    dataKeyVersion: 1, maxVersions: 10, now: epoch)) { v in Array("\(ws)-\(v)".utf8) }
            }
        }
    }

    static func count(_ connection: PostgresConnection, _ sql: String) async throws -> Int64 {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger).collect()
        return try rows.first?.decode(Int64.self) ?? -1
    }

    /// Rows a statement affected (it must end with RETURNING 1).
    static func affected(_ connection: PostgresConnection, _ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger).collect().count
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    @Test func applicationRoleBoundToASeesAndChangesNothingOfB() async throws {
        try await Env.withStore { store, schema in
            try await Self.seed(store)
            let s = "\"\(schema)\""
            try await Env.withConnection(asApplication: true) { c in
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                // SELECT: B's rows are invisible, even asked for by id; A's are there.
                for table in Self.tables {
                    let column = table == "workspaces" ? "id" : "workspace_id"
                    #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).\(table) WHERE \(column) = 'b'") == 0, "\(table)")
                    #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).\(table) WHERE \(column) <> 'a'") == 0, "\(table)")
                    #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).\(table)") > 0, "\(table)")
                }
                // UPDATE and DELETE of B's rows affect nothing.
                #expect(try await Self.affected(c, "UPDATE \(s).secret_versions SET deleted_at = 1 WHERE workspace_id = 'b' RETURNING 1") == 0)
                #expect(try await Self.affected(c, "UPDATE \(s).secrets SET last_version = 99 WHERE workspace_id = 'b' RETURNING 1") == 0)
                #expect(try await Self.affected(c, "UPDATE \(s).data_keys SET encryption_count = 99 WHERE workspace_id = 'b' RETURNING 1") == 0)
                #expect(try await Self.affected(c, "UPDATE \(s).workspaces SET primary_dek_version = 9 WHERE id = 'b' RETURNING 1") == 0)
                #expect(try await Self.affected(c, "DELETE FROM \(s).secret_versions WHERE workspace_id = 'b' RETURNING 1") == 0)
                #expect(try await Self.affected(c, "DELETE FROM \(s).secret_versions WHERE workspace_id <> 'a' RETURNING 1") == 0)
                try await c.query("COMMIT", logger: Env.logger)
            }
            // INSERT of a B row is refused by the policy's WITH CHECK (one statement per
            // transaction: the failure aborts it).
            let inserts = [
                "INSERT INTO \(s).secrets (workspace_id, name, last_version) VALUES ('b', 'planted', 1)",
                "INSERT INTO \(s).data_keys (workspace_id, version, kek_id, wrapped, created_at) VALUES ('b', 5, 'x', '\\x00', 0)",
                """
                INSERT INTO \(s).secret_versions (workspace_id, name, version, dek_version, ciphertext, kind, created_at)
                VALUES ('b', 'db', 50, 1, '\\x00', 'raw', 0)
                """,
            ]
            for insert in inserts {
                try await Env.withConnection(asApplication: true) { c in
                    try await c.query("BEGIN", logger: Env.logger)
                    try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                    do {
                        try await c.query(PostgresQuery(unsafeSQL: insert), logger: Env.logger)
                        Issue.record("INSERT of a row of workspace b succeeded while bound to a: \(insert)")
                    } catch {
                        // 42501: new row violates row-level security policy.
                        #expect(Self.sqlState(error) == "42501", "\(String(reflecting: (error as? PSQLError)?.serverInfo?[.message]))")
                    }
                    try await c.query("ROLLBACK", logger: Env.logger)
                }
            }
            // B is untouched.
            #expect(try await store.history(workspace: "b", name: "db").map(\.version) == [1, 2])
            #expect(try await store.history(workspace: "b", name: "db").allSatisfy { $0.deletedAt == nil })
            #expect(try await store.secretVersion(workspace: "b", name: "db", version: 2)?.ciphertext == Array("b-2".utf8))
            #expect(try await store.dataKeys(workspace: "b").map(\.encryptionCount) == [2])
            #expect(try await store.listSecrets(workspace: "b").map(\.name) == ["db"])
        }
    }

    /// The one-statement read (`read_secret_version`, migration 3) binds its workspace for that
    /// statement alone: it reads A's row under RLS, the binding is gone for the connection's
    /// next statement (so a pooled connection carries no workspace to its next user), and it
    /// never returns another workspace's row.
    @Test func oneStatementReadBindsOnlyItsOwnStatement() async throws {
        try await Env.withStore { store, schema in
            try await Self.seed(store)
            let s = "\"\(schema)\""
            try await Env.withConnection(asApplication: true) { c in
                let rows = try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT r_version, r_ciphertext FROM \(s).read_secret_version('a', 'db', NULL)"), logger: Env.logger
                ).collect()
                let decoded: [(Int64, ByteBuffer)] = try rows.map { try $0.decode((Int64, ByteBuffer).self) }
                #expect(decoded.map(\.0) == [2])
                #expect(decoded.map { String(buffer: $0.1) } == ["a-2"])
                let after = try await c.query("SELECT COALESCE(current_setting('coffer.workspace', true), '')", logger: Env.logger).collect()
                #expect(try after.first?.decode(String.self) == "")
                #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).secret_versions") == 0)
                // Bound to a, asking for b's name under a's id finds nothing of b's.
                let none = try await c.query(
                    PostgresQuery(unsafeSQL: "SELECT r_version FROM \(s).read_secret_version('a', 'missing', NULL)"), logger: Env.logger
                ).collect()
                #expect(none.isEmpty)
            }
        }
    }

    @Test func withoutABoundWorkspaceTheApplicationRoleSeesNothing() async throws {
        try await Env.withStore { store, schema in
            try await Self.seed(store)
            let s = "\"\(schema)\""
            try await Env.withConnection(asApplication: true) { c in
                for table in Self.tables {
                    #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).\(table)") == 0, "\(table)")
                }
                #expect(try await Self.affected(c, "DELETE FROM \(s).secret_versions RETURNING 1") == 0)
                // The maintenance policy's switch does nothing for the application role.
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.fleet', 'on', true)", logger: Env.logger)
                for table in Self.tables {
                    #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).\(table)") == 0, "\(table) with coffer.fleet on")
                }
                try await c.query("COMMIT", logger: Env.logger)
                // After a bound transaction ends, the binding is gone.
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).workspaces") == 1)
                try await c.query("COMMIT", logger: Env.logger)
                #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).workspaces") == 0)
            }
            #expect(try await store.history(workspace: "a", name: "db").count == 2)
        }
    }

    @Test func rowLevelSecurityIsForcedAndTheApplicationRoleCannotBypassIt() async throws {
        try await Env.withStore { store, schema in
            try await Self.seed(store)
            try await Env.withConnection(asApplication: true) { c in
                // The audit tables are store-wide, guarded by grants (PostgresLifecycleSecurityTests).
                let rows = try await c.query("""
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) = current_user
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = \(schema) AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
                      AND c.relname NOT LIKE 'audit%' ORDER BY c.relname
                    """, logger: Env.logger).collect()
                let decoded = try rows.map { try $0.decode((String, Bool, Bool, Bool).self) }
                #expect(decoded.map(\.0) == Self.tables.sorted())
                for (table, enabled, forced, ownedByApp) in decoded {
                    #expect(enabled, "RLS not enabled on \(table)")
                    #expect(forced, "RLS not forced on \(table)")
                    #expect(!ownedByApp, "the application role owns \(table)")
                }
                let role = try await c.query(
                    "SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user", logger: Env.logger
                ).collect()
                let (bypass, superuser) = try #require(role.first).decode((Bool, Bool).self)
                #expect(!bypass && !superuser)
            }
            // The owner (maintenance role) is bound too when it binds a workspace (FORCE).
            let s = "\"\(schema)\""
            try await Env.withConnection(asApplication: false) { c in
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                #expect(try await Self.count(c, "SELECT COUNT(*) FROM \(s).secret_versions WHERE workspace_id = 'b'") == 0)
                try await c.query("COMMIT", logger: Env.logger)
            }
        }
    }

    @Test func applicationRoleCannotDoMaintenanceWork() async throws {
        try await Env.withStore { store, schema in
            try await Self.seed(store)
            let s = "\"\(schema)\""
            let forbidden = [
                "DELETE FROM \(s).data_keys WHERE workspace_id = 'a'",
                "UPDATE \(s).secret_versions SET ciphertext = '\\x00' WHERE workspace_id = 'a'",
                "ALTER TABLE \(s).secret_versions DISABLE ROW LEVEL SECURITY",
                "INSERT INTO \(s).workspaces (id, created_at, primary_dek_version, last_dek_version) VALUES ('a2', 0, 1, 1)",
            ]
            for sql in forbidden {
                try await Env.withConnection(asApplication: true) { c in
                    try await c.query("BEGIN", logger: Env.logger)
                    try await c.query("SELECT set_config('coffer.workspace', 'a', true)", logger: Env.logger)
                    do {
                        try await c.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger)
                        Issue.record("the application role could run: \(sql)")
                    } catch {
                        #expect(["42501"].contains(Self.sqlState(error)), "\(sql)")
                    }
                    try await c.query("ROLLBACK", logger: Env.logger)
                }
            }
        }
    }
}
