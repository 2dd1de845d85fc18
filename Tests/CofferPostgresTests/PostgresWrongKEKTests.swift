import Coffer
import CofferCrypto
import CofferPostgres
import CofferStoreConformance
import Foundation
import Testing

/// A wrong but well-formed KEK changes nothing on PostgreSQL either: `rotate` (also as the
/// application role alone, which proves the KEK with the workspace's own keys) and
/// `createWorkspace` are refused before anything is written, and the right KEK still works.
@Suite("Wrong KEK on PostgreSQL", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresWrongKEKTests {
    typealias Fixture = PostgresVaultFixture

    static func bytes(_ text: String) -> SecretBytes { SecretBytes(Array(text.utf8)) }

    /// Workspaces, data keys and audit keys as the store reports them.
    static func keys(_ f: Fixture) async throws -> [String] {
        var out: [String] = []
        for ws in try await f.store.listWorkspaces() {
            out.append("\(ws)")
            out += try await f.store.dataKeys(workspace: ws.id).map { "\($0.workspace) v\($0.version) \($0.wrapped)" }
        }
        out += try await f.store.auditKeys().map { "audit v\($0.version) \($0.wrapped)" }
        return out
    }

    @Test("rotate and workspace create with a wrong KEK write nothing")
    func wrongKEKWritesNothing() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("acme")
            try await f.vault.workspace("acme").put("db/password", value: Self.bytes("pg-right-kek"))
            let before = try await Self.keys(f)
            let wrongKEK = try LocalKEK(SymmetricKey.generate(), displayName: "wrong")
            let wrong = f.freshVault(kek: wrongKEK)
            await VaultExpectations.expectWrongKEK { try await wrong.createWorkspace("beta") }
            await VaultExpectations.expectWrongKEK { try await wrong.rotateDataKey(workspace: "acme") }
            #expect(try await Self.keys(f) == before)

            // The application role alone (no fleet-wide reads) proves with the workspace's keys.
            let (_, application) = try PostgresTestEnvironment.endpoints()
            let appOnly = try await PostgresStore(
                application: application.client(), maintenance: nil, options: .init(schema: f.schema), logger: Fixture.logger)
            let appWrong = Vault(store: appOnly, kek: wrongKEK, configuration: f.configuration, logger: Fixture.logger)
            await VaultExpectations.expectWrongKEK { try await appWrong.rotateDataKey(workspace: "acme") }
            await appOnly.close()
            #expect(try await Self.keys(f) == before)

            // The right KEK still writes and rotates.
            let right = f.freshVault()
            #expect(try await right.rotateDataKey(workspace: "acme") == 2)
            try await right.createWorkspace("beta")
            try await right.workspace("acme").put("db/password", value: Self.bytes("next"))
        }
    }
}
