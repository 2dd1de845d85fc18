import Logging
import NIOCore
import PostgresNIO

/// The raw PostgresNIO side of the benchmark: table `raw_versions` in the benchmark's schema
/// with the same primary key as the store's `secret_versions` (`workspace_id text COLLATE "C",
/// name text COLLATE "C", version bigint`) and a `bytea` holding the 290-byte sealed blob, no
/// row-level security, written and read as the application role through a `PostgresClient`
/// configured exactly like the store's application pool.
final class RawPostgres: Sendable {
    // Sendable without @unchecked: every stored property is a `let` of a Sendable type.
    let client: PostgresClient
    let table: String
    let logger: Logger
    let workspace = "bench"

    /// The DDL (run by the maintenance role, which owns the schema) and the grant to `role`.
    static func setupStatements(schema: String, role: String) -> [String] {
        let s = quoted(schema)
        return [
            """
            CREATE TABLE \(s).raw_versions (
                workspace_id text COLLATE "C" NOT NULL,
                name text COLLATE "C" NOT NULL,
                version bigint NOT NULL,
                ciphertext bytea NOT NULL,
                PRIMARY KEY (workspace_id, name, version)
            )
            """,
            "GRANT SELECT, INSERT ON \(s).raw_versions TO \(quoted(role))",
        ]
    }

    /// A double-quoted SQL identifier.
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    init(client: PostgresClient, schema: String, logger: Logger) {
        self.client = client
        self.table = Self.quoted(schema) + ".raw_versions"
        self.logger = logger
    }

    /// One transaction inserting one row: `BEGIN`, `INSERT`, `COMMIT` (three round trips).
    func insert(name: String, blob: ByteBuffer) async throws {
        let (table, workspace, logger) = (self.table, self.workspace, self.logger)
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("""
                INSERT INTO \(unescaped: table) (workspace_id, name, version, ciphertext)
                VALUES (\(workspace), \(name), \(Int64(1)), \(blob))
                """, logger: logger)
        }
    }

    /// Select by primary key: one statement, no explicit transaction (one round trip).
    func select(name: String) async throws -> Int {
        let rows = try await client.query("""
            SELECT ciphertext FROM \(unescaped: table) WHERE workspace_id = \(workspace) AND name = \(name) AND version = \(Int64(1))
            """, logger: logger)
        var count = -1
        for try await row in rows { count = try row.decode(ByteBuffer.self).readableBytes }
        return count
    }

    /// The same select inside the transaction shape every workspace-scoped store operation has:
    /// `BEGIN`, `SELECT set_config('coffer.workspace', …, true)`, the select, `COMMIT` (four
    /// round trips). The raw table has no row-level security, so this isolates the cost of the
    /// transaction and the binding round trip.
    func selectBound(name: String) async throws -> Int {
        let (table, workspace, logger) = (self.table, self.workspace, self.logger)
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT set_config('coffer.workspace', \(workspace), true)", logger: logger)
            let rows = try await connection.query("""
                SELECT ciphertext FROM \(unescaped: table) WHERE workspace_id = \(workspace) AND name = \(name) AND version = \(Int64(1))
                """, logger: logger)
            var count = -1
            for try await row in rows { count = try row.decode(ByteBuffer.self).readableBytes }
            return count
        }
    }
}
