import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import PostgresNIO
import Testing

/// The SQLite tamper-and-move cases, repeated on PostgreSQL rows edited with raw SQL as the
/// maintenance role: every case is `authenticationFailed`, never another row's plaintext.
@Suite("Tampering with PostgreSQL rows", .enabled(if: !PostgresTestEnvironment.skipRequested, PostgresTestEnvironment.skipReason))
struct PostgresTamperTests {
    typealias Fixture = PostgresVaultFixture
    typealias Env = PostgresTestEnvironment

    static func bytes(_ text: String) -> SecretBytes { SecretBytes(Array(text.utf8)) }
    static func text(_ value: SecretBytes) -> String { String(decoding: value.unprotectedArray(), as: UTF8.self) }

    /// Two workspaces with the same secret names, two versions each, plus a second secret.
    static func populated(_ body: (Fixture) async throws -> Void) async throws {
        try await Fixture.with { f in
            for ws in ["alpha", "beta"] {
                try await f.vault.createWorkspace(ws)
                let scope = try f.vault.workspace(ws)
                try await scope.put("db/password", value: bytes("\(ws)-password-v1"))
                try await scope.put("db/password", value: bytes("\(ws)-password-v2"))
                try await scope.put("api/key", value: bytes("\(ws)-api-key"))
            }
            try await body(f)
        }
    }

    /// Copies the ciphertext of one row over another's; exactly one row must change.
    static func copyCiphertext(_ f: Fixture, from: (String, String, Int), to: (String, String, Int)) async throws {
        let changed = try await f.maintenanceSQL(["""
            UPDATE {S}.secret_versions SET ciphertext = (
              SELECT ciphertext FROM {S}.secret_versions WHERE workspace_id = '\(from.0)' AND name = '\(from.1)' AND version = \(from.2))
            WHERE workspace_id = '\(to.0)' AND name = '\(to.1)' AND version = \(to.2) RETURNING 1
            """])
        #expect(changed == [1])
    }

    /// `get` must fail with authenticationFailed, through the given vault.
    static func expectAuthFailure(_ vault: Vault, _ ws: String, _ name: String, version: UInt32? = nil, _ comment: Comment? = nil) async throws {
        let scope = try vault.workspace(ws)
        await #expect(throws: VaultError.authenticationFailed, comment) { try await scope.get(name, version: version) }
    }

    @Test("a ciphertext copied from workspace A into B's row with the same name and version")
    func crossWorkspaceCopy() async throws {
        try await Self.populated { f in
            try await Self.copyCiphertext(f, from: ("alpha", "db/password", 2), to: ("beta", "db/password", 2))
            try await Self.expectAuthFailure(f.vault, "beta", "db/password")
            try await Self.expectAuthFailure(f.freshVault(), "beta", "db/password", version: 2)
            #expect(Self.text(try await f.vault.workspace("alpha").get("db/password").value) == "alpha-password-v2")
            #expect(Self.text(try await f.vault.workspace("beta").get("db/password", version: 1).value) == "beta-password-v1")
        }
    }

    @Test("a whole row moved from workspace A to B")
    func crossWorkspaceMove() async throws {
        try await Self.populated { f in
            let changed = try await f.maintenanceSQL([
                "INSERT INTO {S}.secrets (workspace_id, name, last_version) VALUES ('beta', 'moved', 1) RETURNING 1",
                """
                UPDATE {S}.secret_versions SET workspace_id = 'beta', name = 'moved', version = 1
                WHERE workspace_id = 'alpha' AND name = 'api/key' AND version = 1 RETURNING 1
                """,
            ])
            #expect(changed == [1, 1])
            try await Self.expectAuthFailure(f.freshVault(), "beta", "moved")
            try await Self.expectAuthFailure(f.vault, "beta", "moved")
        }
    }

    @Test("a ciphertext copied from one secret to another in the same workspace")
    func crossSecretCopy() async throws {
        try await Self.populated { f in
            try await Self.copyCiphertext(f, from: ("alpha", "db/password", 1), to: ("alpha", "api/key", 1))
            try await Self.expectAuthFailure(f.vault, "alpha", "api/key")
            try await Self.expectAuthFailure(f.freshVault(), "alpha", "api/key")
            #expect(Self.text(try await f.vault.workspace("alpha").get("db/password", version: 1).value) == "alpha-password-v1")
        }
    }

    @Test("a ciphertext copied from version 1 to version 2 of the same secret")
    func crossVersionCopy() async throws {
        try await Self.populated { f in
            try await Self.copyCiphertext(f, from: ("alpha", "db/password", 1), to: ("alpha", "db/password", 2))
            try await Self.expectAuthFailure(f.vault, "alpha", "db/password", version: 2)
            try await Self.expectAuthFailure(f.freshVault(), "alpha", "db/password")
            #expect(Self.text(try await f.vault.workspace("alpha").get("db/password", version: 1).value) == "alpha-password-v1")
        }
    }

    @Test("wrapped data keys swapped between workspaces")
    func swappedDataKeys() async throws {
        try await Self.populated { f in
            let changed = try await f.maintenanceSQL(["""
                UPDATE {S}.data_keys k SET wrapped = o.wrapped FROM {S}.data_keys o
                WHERE k.version = 1 AND o.version = 1 AND k.workspace_id IN ('alpha', 'beta')
                  AND o.workspace_id IN ('alpha', 'beta') AND o.workspace_id <> k.workspace_id AND o.wrapped <> k.wrapped
                RETURNING 1
                """])
            #expect(changed == [2])
            let fresh = f.freshVault()
            for ws in ["alpha", "beta"] {
                try await Self.expectAuthFailure(fresh, ws, "db/password")
                try await Self.expectAuthFailure(fresh, ws, "api/key")
                await #expect(throws: VaultError.authenticationFailed) {
                    try await fresh.workspace(ws).put("new", value: Self.bytes("sealed-under-a-swapped-key"))
                }
            }
        }
    }

    @Test("dek_version changed to another of the workspace's data keys")
    func changedDataKeyVersion() async throws {
        try await Self.populated { f in
            try await f.vault.rotateDataKey(workspace: "alpha")
            try await f.vault.workspace("alpha").put("db/password", value: Self.bytes("alpha-password-v3"))
            let changed = try await f.maintenanceSQL([
                "UPDATE {S}.secret_versions SET dek_version = 2 WHERE workspace_id = 'alpha' AND name = 'api/key' AND version = 1 RETURNING 1",
                "UPDATE {S}.secret_versions SET dek_version = 1 WHERE workspace_id = 'alpha' AND name = 'db/password' AND version = 3 RETURNING 1",
            ])
            #expect(changed == [1, 1])
            for vault in [f.vault, f.freshVault()] {
                try await Self.expectAuthFailure(vault, "alpha", "api/key")
                try await Self.expectAuthFailure(vault, "alpha", "db/password", version: 3)
            }
            #expect(Self.text(try await f.vault.workspace("alpha").get("db/password", version: 2).value) == "alpha-password-v2")
        }
    }

    @Test("every byte of a stored value with one bit flipped")
    func bitFlips() async throws {
        try await Fixture.with { f in
            try await f.vault.createWorkspace("flip")
            let scope = try f.vault.workspace("flip")
            try await scope.put("s", value: Self.bytes(String(repeating: "flip-me ", count: 12)))
            let length = try await f.maintenanceInt("SELECT octet_length(ciphertext)::bigint FROM {S}.secret_versions WHERE workspace_id = 'flip'")
            #expect(length > 96)
            let fresh = f.freshVault()
            let schema = "\"\(f.schema)\""
            try await Env.withConnection(asApplication: false) { c in
                try await c.query("SELECT set_config('coffer.fleet', 'on', false)", logger: Env.logger)
                for index in 0..<length {
                    let flip = PostgresQuery(unsafeSQL: """
                        UPDATE \(schema).secret_versions SET ciphertext = set_byte(ciphertext, \(index), get_byte(ciphertext, \(index)) # \(1 << (index % 8)))
                        WHERE workspace_id = 'flip'
                        """)
                    try await c.query(flip, logger: Env.logger)
                    try await Self.expectAuthFailure(index % 2 == 0 ? f.vault : fresh, "flip", "s", "byte \(index)")
                    try await c.query(flip, logger: Env.logger)   // flips back
                }
            }
            #expect(Self.text(try await fresh.workspace("flip").get("s").value) == String(repeating: "flip-me ", count: 12))
        }
    }
}
