import Coffer
import CofferCrypto
import Foundation
import GRDB
import Testing

/// Rows edited directly in the SQLite file (copied, moved, swapped, bit-flipped) never open:
/// every case is `authenticationFailed`, never another row's plaintext.
@Suite("Tampering with the SQLite file")
struct TamperTests {
    /// Two workspaces with the same secret names, two versions each, plus a second secret.
    static func populated() async throws -> VaultFixture {
        let f = try VaultFixture()
        for ws in ["alpha", "beta"] {
            try await f.vault.createWorkspace(ws)
            let scope = try f.vault.workspace(ws)
            try await scope.put("db/password", value: bytes("\(ws)-password-v1"))
            try await scope.put("db/password", value: bytes("\(ws)-password-v2"))
            try await scope.put("api/key", value: bytes("\(ws)-api-key"))
        }
        return f
    }

    static func ciphertext(_ db: Database, _ ws: String, _ name: String, _ version: Int) throws -> Data {
        try #require(try Data.fetchOne(db, sql: "SELECT ciphertext FROM secret_versions WHERE workspace_id = ? AND name = ? AND version = ?", arguments: [ws, name, version]))
    }

    static func setCiphertext(_ db: Database, _ ws: String, _ name: String, _ version: Int, _ value: Data) throws {
        try db.execute(sql: "UPDATE secret_versions SET ciphertext = ? WHERE workspace_id = ? AND name = ? AND version = ?", arguments: [value, ws, name, version])
        #expect(db.changesCount == 1)
    }

    /// `get` must fail with authenticationFailed, through the given vault (default: a fresh one).
    static func expectAuthFailure(_ vault: Vault, _ ws: String, _ name: String, version: UInt32? = nil, _ comment: Comment? = nil) async throws {
        let scope = try vault.workspace(ws)
        await #expect(throws: VaultError.authenticationFailed, comment) { try await scope.get(name, version: version) }
    }

    @Test("a ciphertext copied from workspace A into B's row with the same name and version")
    func crossWorkspaceCopy() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try Self.setCiphertext(db, "beta", "db/password", 2, try Self.ciphertext(db, "alpha", "db/password", 2))
        }
        try await Self.expectAuthFailure(f.vault, "beta", "db/password")
        try await Self.expectAuthFailure(f.freshVault(), "beta", "db/password", version: 2)
        // The source row and the other versions are untouched.
        #expect(text(try await f.vault.workspace("alpha").get("db/password").value) == "alpha-password-v2")
        #expect(text(try await f.vault.workspace("beta").get("db/password", version: 1).value) == "beta-password-v1")
    }

    @Test("a whole row moved from workspace A to B")
    func crossWorkspaceMove() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try db.execute(sql: "INSERT INTO secrets (workspace_id, name, last_version) VALUES ('beta', 'moved', 1)")
            try db.execute(sql: """
                UPDATE secret_versions SET workspace_id = 'beta', name = 'moved', version = 1
                WHERE workspace_id = 'alpha' AND name = 'api/key' AND version = 1
                """)
            #expect(db.changesCount == 1)
        }
        try await Self.expectAuthFailure(f.freshVault(), "beta", "moved")
    }

    @Test("a ciphertext copied from one secret to another in the same workspace")
    func crossSecretCopy() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try Self.setCiphertext(db, "alpha", "api/key", 1, try Self.ciphertext(db, "alpha", "db/password", 1))
        }
        try await Self.expectAuthFailure(f.vault, "alpha", "api/key")
        #expect(text(try await f.vault.workspace("alpha").get("db/password", version: 1).value) == "alpha-password-v1")
    }

    @Test("a ciphertext copied from version 1 to version 2 of the same secret")
    func crossVersionCopy() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try Self.setCiphertext(db, "alpha", "db/password", 2, try Self.ciphertext(db, "alpha", "db/password", 1))
        }
        try await Self.expectAuthFailure(f.vault, "alpha", "db/password", version: 2)
        try await Self.expectAuthFailure(f.vault, "alpha", "db/password")
        #expect(text(try await f.vault.workspace("alpha").get("db/password", version: 1).value) == "alpha-password-v1")
    }

    @Test("renumbering a version row (version column edited)")
    func renumberedVersion() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            try db.execute(sql: "DELETE FROM secret_versions WHERE workspace_id = 'alpha' AND name = 'db/password' AND version = 2")
            try db.execute(sql: "UPDATE secret_versions SET version = 2 WHERE workspace_id = 'alpha' AND name = 'db/password' AND version = 1")
        }
        try await Self.expectAuthFailure(f.vault, "alpha", "db/password", version: 2)
    }

    @Test("wrapped data keys swapped between workspaces")
    func swappedDataKeys() async throws {
        let f = try await Self.populated()
        try await f.database().write { db in
            let a = try #require(try Data.fetchOne(db, sql: "SELECT wrapped FROM data_keys WHERE workspace_id = 'alpha' AND version = 1"))
            let b = try #require(try Data.fetchOne(db, sql: "SELECT wrapped FROM data_keys WHERE workspace_id = 'beta' AND version = 1"))
            #expect(a != b)
            try db.execute(sql: "UPDATE data_keys SET wrapped = ? WHERE workspace_id = 'alpha' AND version = 1", arguments: [b])
            try db.execute(sql: "UPDATE data_keys SET wrapped = ? WHERE workspace_id = 'beta' AND version = 1", arguments: [a])
        }
        let fresh = f.freshVault()
        for ws in ["alpha", "beta"] {
            try await Self.expectAuthFailure(fresh, ws, "db/password")
            try await Self.expectAuthFailure(fresh, ws, "api/key")
            await #expect(throws: VaultError.authenticationFailed) {
                try await fresh.workspace(ws).put("new", value: bytes("sealed-under-a-swapped-key"))
            }
        }
    }

    @Test("every single-bit flip of a stored value", arguments: [1, 700, 1500])
    func bitFlips(valueLength: Int) async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("flip")
        let scope = try f.vault.workspace("flip")
        // Lengths on both sides of the libsodium/OpenSSL switch (1024 bytes).
        try await scope.put("v", value: SecretBytes([UInt8](repeating: 0x5a, count: valueLength)))
        let db = try f.database()
        let original = try await db.read { db in try Self.ciphertext(db, "flip", "v", 1) }
        #expect(original.count == valueLength + CiphertextHeader.overhead)
        // All of header, nonce and tag; a sample of the body for the long values.
        let positions = (0..<original.count).filter { $0 < 40 || $0 >= original.count - 20 || $0 % 97 == 0 }
        for position in positions {
            for bit in [0, 7] {
                var flipped = original
                flipped[position] ^= UInt8(1 << bit)
                try await db.write { [flipped] db in try Self.setCiphertext(db, "flip", "v", 1, flipped) }
                try await Self.expectAuthFailure(f.vault, "flip", "v", "byte \(position) bit \(bit)")
            }
        }
        // Truncated, extended and empty values.
        for broken in [Data(original.prefix(original.count - 1)), original + [0], Data(original.prefix(5)), Data()] {
            try await db.write { db in try Self.setCiphertext(db, "flip", "v", 1, broken) }
            try await Self.expectAuthFailure(f.vault, "flip", "v", "length \(broken.count)")
        }
        try await db.write { db in try Self.setCiphertext(db, "flip", "v", 1, original) }
        #expect(try await scope.get("v").value.count == valueLength)
    }

    @Test("the dek_version column changed")
    func changedDataKeyVersion() async throws {
        let f = try await Self.populated()
        let db = try f.database()
        // 1. Points at a data key that does not exist.
        try await db.write { db in
            try db.execute(sql: "UPDATE secret_versions SET dek_version = 2 WHERE workspace_id = 'alpha' AND name = 'db/password' AND version = 2")
        }
        try await Self.expectAuthFailure(f.vault, "alpha", "db/password")
        try await Self.expectAuthFailure(f.freshVault(), "alpha", "db/password")
        // 2. Points at a data key version 2 that exists (a copy of version 1's wrapped key):
        //    the header still says key 1.
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO data_keys (workspace_id, version, kek_id, wrapped, created_at)
                SELECT workspace_id, 2, kek_id, wrapped, created_at FROM data_keys WHERE workspace_id = 'alpha' AND version = 1
                """)
        }
        try await Self.expectAuthFailure(f.freshVault(), "alpha", "db/password")
        // 3. Header key id rewritten to 2 as well: version 1's key wrapped for version 1 does
        //    not unwrap as version 2.
        try await db.write { db in
            var c = try Self.ciphertext(db, "alpha", "db/password", 2)
            c[5] = 2
            try Self.setCiphertext(db, "alpha", "db/password", 2, c)
        }
        try await Self.expectAuthFailure(f.freshVault(), "alpha", "db/password")
        // 4. dek_version 0 and a huge one.
        for v in [0, Int(UInt32.max)] {
            try await db.write { db in
                try db.execute(sql: "UPDATE secret_versions SET dek_version = ? WHERE workspace_id = 'alpha' AND name = 'api/key'", arguments: [v])
            }
            try await Self.expectAuthFailure(f.freshVault(), "alpha", "api/key")
        }
    }

    @Test("a vault with the wrong KEK fails authentication and never opens a value")
    func wrongKEK() async throws {
        let f = try await Self.populated()
        let other = try LocalKEK(SymmetricKey.generate(), displayName: "other")
        let wrong = f.freshVault(kek: other)
        try await Self.expectAuthFailure(wrong, "alpha", "db/password")
        try await Self.expectAuthFailure(wrong, "beta", "api/key", version: 1)
        await #expect(throws: VaultError.authenticationFailed) { try await wrong.workspace("alpha").put("x", value: bytes("v")) }
        // The right KEK still works.
        #expect(text(try await f.freshVault().workspace("alpha").get("db/password").value) == "alpha-password-v2")
    }
}
