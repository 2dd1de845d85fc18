import Coffer
import CofferPostgres
import Foundation
import Logging
import PostgresNIO
import Testing

/// Where the PostgreSQL tests find their server, and how they get a fresh schema.
///
/// - `COFFER_TEST_POSTGRES_URL`: the maintenance role (owns the database; runs migrations).
/// - `COFFER_TEST_POSTGRES_APP_URL`: the application role (no BYPASSRLS, owns nothing).
/// - `COFFER_SKIP_POSTGRES=1`: skip every PostgreSQL test (they report as skipped).
///
/// `bash scripts/postgres.sh start` prints the two URLs for a throwaway server;
/// `bash scripts/test.sh` starts and stops one around `swift test`. Without the URLs and
/// without the skip variable, every PostgreSQL test fails saying so.
enum PostgresTestEnvironment {
    static let skipRequested = ProcessInfo.processInfo.environment["COFFER_SKIP_POSTGRES"] == "1"
    static let skipReason: Comment = "COFFER_SKIP_POSTGRES=1: PostgreSQL tests skipped"

    static let logger: Logger = {
        var logger = Logger(label: "coffer.postgres.test")
        logger.logLevel = .warning
        return logger
    }()

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            """
            PostgreSQL test server not configured: set COFFER_TEST_POSTGRES_URL (maintenance role) and \
            COFFER_TEST_POSTGRES_APP_URL (application role), e.g. with: eval "$(bash scripts/postgres.sh start)" \
            — or run bash scripts/test.sh, which starts one; set COFFER_SKIP_POSTGRES=1 to skip these tests
            """
        }
    }

    /// The parts of a `postgres://user:password@host:port/database` URL.
    struct Endpoint: Sendable {
        var host: String
        var port: Int
        var user: String
        var password: String?
        var database: String

        init(url text: String) throws {
            guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
                  let host = url.host, let user = url.user
            else { throw Missing() }
            self.host = host
            port = url.port ?? 5432
            self.user = user.removingPercentEncoding ?? user
            password = url.password?.removingPercentEncoding ?? url.password
            database = String(url.path.drop { $0 == "/" })
        }

        func client(maximumConnections: Int = 6) -> PostgresClient.Configuration {
            var config = PostgresClient.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
            config.options.maximumConnections = maximumConnections
            // Generous: the whole suite runs many process-spawning tests at once on 2 cores, and a
            // starved test runner must not turn into a spurious "cannot connect".
            config.options.connectTimeout = .seconds(60)
            return config
        }

        var connection: PostgresConnection.Configuration {
            PostgresConnection.Configuration(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
        }
    }

    static func endpoints() throws -> (maintenance: Endpoint, application: Endpoint) {
        let env = ProcessInfo.processInfo.environment
        guard let maintenance = env["COFFER_TEST_POSTGRES_URL"], let application = env["COFFER_TEST_POSTGRES_APP_URL"],
              !maintenance.isEmpty, !application.isEmpty
        else {
            throw Missing()
        }
        return (try Endpoint(url: maintenance), try Endpoint(url: application))
    }

    /// A fresh schema name.
    static func freshSchema() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    /// Opens a store on a fresh schema (migrated by the maintenance role), runs `body`, then
    /// closes it and drops the schema.
    static func withStore<T>(
        maintenance withMaintenance: Bool = true,
        _ body: (PostgresStore, String) async throws -> T
    ) async throws -> T {
        let (maintenance, application) = try endpoints()
        let schema = freshSchema()
        let store = try await PostgresStore(
            application: application.client(), maintenance: maintenance.client(maximumConnections: 3),
            options: .init(schema: schema), logger: logger)
        do {
            let result: T
            if withMaintenance {
                result = try await body(store, schema)
            } else {
                let appOnly = try await PostgresStore(
                    application: application.client(), maintenance: nil, options: .init(schema: schema), logger: logger)
                do {
                    result = try await body(appOnly, schema)
                } catch {
                    await appOnly.close()
                    throw error
                }
                await appOnly.close()
            }
            await store.close()
            try await dropSchema(schema)
            return result
        } catch {
            await store.close()
            try? await dropSchema(schema)
            throw error
        }
    }

    /// Runs `body` on a direct connection (no pool) as the maintenance or application role.
    @discardableResult
    static func withConnection<T>(
        asApplication: Bool, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let (maintenance, application) = try endpoints()
        let endpoint = asApplication ? application : maintenance
        let connection = try await PostgresConnection.connect(configuration: endpoint.connection, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func dropSchema(_ schema: String) async throws {
        try await withConnection(asApplication: false) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
        }
    }
}
