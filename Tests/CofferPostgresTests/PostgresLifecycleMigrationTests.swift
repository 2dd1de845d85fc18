import Coffer
import CofferCrypto
@testable import CofferPostgres
import Foundation
import PostgresNIO
import Testing

/// A database written before the lifecycle schema (migration 1 only) is upgraded in place when
/// the maintenance role opens it: nothing stored is lost, old workspaces have no key generation,
/// and the lifecycle methods work on them.
@Suite("PostgreSQL lifecycle migration", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresLifecycleMigrationTests {
    typealias Env = PostgresTestEnvironment

    @Test func aVersionOneDatabaseIsUpgradedWithoutLosingAnything() async throws {
        let schema = Env.freshSchema()
        let s = PostgresCoding.quoted(schema)
        let first = try #require(PostgresSchema.migrations.first)
        #expect(first.version == 1)
        do {
            try await Env.withConnection(asApplication: false) { c in
                try await c.query("BEGIN", logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(s)"), logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: """
                    CREATE TABLE \(s).schema_migrations (version integer NOT NULL PRIMARY KEY, description text NOT NULL, applied_at bigint NOT NULL)
                    """), logger: Env.logger)
                for statement in PostgresSchema.statements(PostgresSchema.substitute(first.sql, schema: schema)) {
                    try await c.query(PostgresQuery(unsafeSQL: statement), logger: Env.logger)
                }
                try await c.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(s).schema_migrations VALUES (1, 'v1', 0)
                    """), logger: Env.logger)
                try await c.query("SELECT set_config('coffer.workspace', 'old', true)", logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(s).workspaces (id, created_at, primary_dek_version, last_dek_version) VALUES ('old', 0, 1, 1)
                    """), logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(s).data_keys (workspace_id, version, kek_id, wrapped, created_at, encryption_count)
                    VALUES ('old', 1, '\(PostgresRowLevelSecurityTests.kek().description)', '\\x010203', 0, 1)
                    """), logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(s).secrets VALUES ('old', 'db', 1)"), logger: Env.logger)
                try await c.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(s).secret_versions (workspace_id, name, version, dek_version, ciphertext, kind, created_at)
                    VALUES ('old', 'db', 1, 1, '\\x0a0b', 'raw', 0)
                    """), logger: Env.logger)
                try await c.query("COMMIT", logger: Env.logger)
            }
            let (maintenance, application) = try Env.endpoints()
            // Without the maintenance role the old schema is refused, as before.
            await #expect(throws: VaultError.self) {
                let appOnly = try await PostgresStore(
                    application: application.client(), maintenance: nil, options: .init(schema: schema), logger: Env.logger)
                await appOnly.close()
            }
            let store = try await PostgresStore(
                application: application.client(), maintenance: maintenance.client(maximumConnections: 3),
                options: .init(schema: schema), logger: Env.logger)
            do {
                let old = try #require(try await store.workspace("old"))
                #expect(old.keyGeneration == nil && old.deletedAt == nil && old.shreddedAt == nil)
                let keys = try await store.dataKeys(workspace: "old")
                #expect(keys.map(\.wrapBinding) == ["old"])
                #expect(keys.map(\.encryptionCount) == [1])
                #expect(try await store.secretVersion(workspace: "old", name: "db", version: nil)?.ciphertext == [10, 11])
                #expect(try await store.auditHead() == .genesis)
                #expect(try await store.auditCheckpoint() == nil)
                #expect(try await store.setWorkspaceDeleted("old", at: Date(timeIntervalSince1970: 5)))
                #expect(try await store.workspacesDeleted(atOrBefore: Date(timeIntervalSince1970: 5)).map(\.id) == ["old"])
                let shred = try await store.shredWorkspace("old", now: Date(timeIntervalSince1970: 6), newKeyGeneration: "0123456789abcdef0123456789abcdef")
                #expect(shred == WorkspaceShredResult(dataKeyVersionsDestroyed: [1], secretVersionsDestroyed: 1))
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            try await Env.dropSchema(schema)
        } catch {
            try? await Env.dropSchema(schema)
            throw error
        }
    }
}
