import Coffer
import CofferCrypto
import CofferPostgres
import Foundation
import Logging
import PostgresNIO

/// One vault test's world on PostgreSQL: a fresh schema migrated by the maintenance role, a
/// ``PostgresStore`` with both roles, a KEK, an injected clock and a ``Vault``.
struct PostgresVaultFixture {
    typealias Env = PostgresTestEnvironment

    let store: PostgresStore
    let schema: String
    let kek: LocalKEK
    let clock: ManualClock
    let configuration: VaultConfiguration
    let vault: Vault

    static let logger = Logger(label: "coffer.postgres.vault-tests") { _ in SwiftLogNoOpLogHandler() }

    /// Runs `body` with a fresh fixture (a random KEK unless `kek` is given); the schema is
    /// dropped afterwards.
    static func with(
        kek given: LocalKEK? = nil,
        configure: (inout VaultConfiguration) -> Void = { _ in },
        _ body: (PostgresVaultFixture) async throws -> Void
    ) async throws {
        try await Env.withStore { store, schema in
            var configuration = VaultConfiguration()
            let clock = ManualClock()
            configuration.now = { clock.now }
            configure(&configuration)
            let kek = try given ?? LocalKEK(SymmetricKey.generate(), displayName: "test")
            let vault = Vault(store: store, kek: kek, configuration: configuration, logger: logger)
            try await body(PostgresVaultFixture(
                store: store, schema: schema, kek: kek, clock: clock, configuration: configuration, vault: vault))
        }
    }

    /// A second vault over the same store (cold DEK cache), optionally with another KEK.
    func freshVault(kek other: (any KeyEncryptionKeyProvider)? = nil, configure: (inout VaultConfiguration) -> Void = { _ in }) -> Vault {
        var configuration = configuration
        configure(&configuration)
        return Vault(store: store, kek: other ?? kek, configuration: configuration, logger: Self.logger)
    }

    /// A vault over a second, independent store instance on the same schema (its own pools),
    /// like another backend instance; `maintenance: false` gives it the application role only.
    func otherInstance(maintenance: Bool = true, _ body: (Vault) async throws -> Void) async throws {
        let (maintenanceEndpoint, application) = try Env.endpoints()
        let other = try await PostgresStore(
            application: application.client(), maintenance: maintenance ? maintenanceEndpoint.client(maximumConnections: 2) : nil,
            options: .init(schema: schema), logger: Self.logger)
        do {
            try await body(Vault(store: other, kek: kek, configuration: configuration, logger: Self.logger))
        } catch {
            await other.close()
            throw error
        }
        await other.close()
    }

    /// Runs raw SQL as the maintenance role with the fleet policy on (sees every workspace), on a
    /// direct connection; `{S}` in a statement stands for this fixture's schema. Returns the number of rows each
    /// statement returned (use `RETURNING 1` to count changed rows).
    func maintenanceSQL(_ statements: [String]) async throws -> [Int] {
        let schema = "\"\(self.schema)\""
        return try await Env.withConnection(asApplication: false) { connection in
            try await connection.query("SELECT set_config('coffer.fleet', 'on', false)", logger: Env.logger)
            var counts: [Int] = []
            for statement in statements {
                let sql = statement.replacingOccurrences(of: "{S}", with: schema)
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger)
                var n = 0
                for try await _ in rows { n += 1 }
                counts.append(n)
            }
            return counts
        }
    }

    /// One integer from raw SQL as the maintenance role (fleet policy on).
    func maintenanceInt(_ statement: String) async throws -> Int {
        let schema = "\"\(self.schema)\""
        return try await Env.withConnection(asApplication: false) { connection in
            try await connection.query("SELECT set_config('coffer.fleet', 'on', false)", logger: Env.logger)
            let sql = statement.replacingOccurrences(of: "{S}", with: schema)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Env.logger)
            for try await (value) in rows.decode(Int.self) { return value }
            return -1
        }
    }
}
