public import Coffer
import CofferInput
import CofferPostgres
import CofferSQLite
import Foundation
public import Logging

/// Where the broker keeps its vault: a SQLite file (the default; created 0600) or a PostgreSQL
/// database shared by many broker instances (row-level security per workspace, docs/POSTGRES.md).
public enum BrokerDatabase: Sendable, Hashable {
    /// A SQLite file at `path`.
    case sqlite(path: String)
    /// PostgreSQL: `application` is the application role's URL (every request), `maintenance`
    /// the schema owner's (migrations, creating workspaces, the cross-workspace expiring list).
    case postgres(application: String, maintenance: String?)

    /// `--database` and `--maintenance-database` as given: a `postgres://` URL or a file path.
    /// - Throws: ``BrokerError`` (400) for an empty path or a maintenance URL without a
    ///   PostgreSQL database.
    public init(database: String, maintenance: String?) throws(BrokerError) {
        if PostgresURL.isPostgres(database) {
            if let maintenance, !PostgresURL.isPostgres(maintenance) {
                throw .badRequest("--maintenance-database must be a postgres:// URL")
            }
            self = .postgres(application: database, maintenance: maintenance)
        } else {
            guard maintenance == nil else { throw .badRequest("--maintenance-database is only for a postgres:// --database") }
            guard (1...4096).contains(database.utf8.count), !database.utf8.contains(0) else {
                throw .badRequest("--database must be a file path of 1 to 4096 bytes or a postgres:// URL")
            }
            self = .sqlite(path: database)
        }
    }

    /// An open store and how to close it.
    public struct Opened: Sendable {
        /// The store.
        public var store: any SecretStore
        /// Stops the store's connection pools (PostgreSQL); nothing for SQLite.
        public var close: @Sendable () async -> Void
    }

    /// Opens the store, creating and migrating it when this process may.
    /// - Throws: ``BrokerError`` (400) for a malformed URL (the message never repeats it, it may
    ///   hold a password); ``VaultError/storeUnavailable(_:)`` when it cannot be reached.
    public func open(logger: Logger) async throws -> Opened {
        switch self {
        case .sqlite(let path):
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            // SQLiteStore creates the file (and its -wal/-shm companions) with mode 0600.
            let store = try SQLiteStore(path: path, logger: logger, options: SQLiteStore.Options(create: true))
            return Opened(store: store, close: {})
        case .postgres(let applicationText, let maintenanceText):
            let application = try Self.url(applicationText, flag: "--database")
            let maintenance = try maintenanceText.map { text throws(BrokerError) in try Self.url(text, flag: "--maintenance-database") }
            if let maintenance, maintenance.schema != application.schema {
                throw BrokerError.badRequest("--database and --maintenance-database name different schemas")
            }
            let store = try await PostgresStore(
                application: application.clientConfiguration(maximumConnections: 8),
                maintenance: maintenance?.clientConfiguration(),
                options: PostgresStore.Options(schema: application.schema, applicationRole: maintenance?.applicationRole),
                logger: logger)
            return Opened(store: store, close: { await store.close() })
        }
    }

    /// A checked PostgreSQL URL (`PGPASSWORD` and friends from the environment).
    private static func url(_ text: String, flag: String) throws(BrokerError) -> PostgresURL {
        do {
            return try PostgresURL(parsing: text, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw .badRequest("\(flag) \(error.message)")
        }
    }
}
