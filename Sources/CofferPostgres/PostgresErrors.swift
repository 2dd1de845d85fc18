import Coffer
import PostgresNIO

/// Maps PostgresNIO failures to ``VaultError``.
///
/// Messages name the server (host, port, user, database, schema), the SQLSTATE and the
/// server's primary message — never the password, never the query's bound values and never the
/// server's DETAIL field (which can quote a whole failing row, sealed value included).
enum PostgresErrors {
    /// Where a client connects, for messages.
    struct Endpoint: Sendable, CustomStringConvertible {
        var role: String
        var address: String
        var user: String
        var database: String

        init(role: String, _ configuration: PostgresClient.Configuration) {
            self.role = role
            if let path = configuration.unixSocketPath {
                address = "unix socket \(path)"
            } else {
                address = "\(configuration.host ?? "?"):\(configuration.port ?? 5432)"
            }
            user = configuration.username
            database = configuration.database ?? configuration.username
        }

        var description: String { "PostgreSQL at \(address) (database '\(database)', \(role) user '\(user)')" }
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Serialization failures and deadlocks: the transaction may simply be tried again.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let state = sqlState(error) else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The error inside a transaction wrapper.
    static func unwrap(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError {
            return tx.closureError ?? tx.beginError ?? tx.commitError ?? tx.rollbackError ?? error
        }
        return error
    }

    static func map(_ error: any Error, endpoint: Endpoint, schema: String) -> any Error {
        let error = unwrap(error)
        if error is VaultError { return error }
        // The pool's own errors (its module, _ConnectionPoolModule, is not public API): the only
        // one a lease reports is the circuit breaker after a minute of failed connection attempts.
        if String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError") {
            return VaultError.storeUnavailable(
                "cannot connect to \(endpoint): connection attempts kept failing; check that the server is running and reachable, the database, and the user name and password of the \(endpoint.role) configuration (and pg_hba.conf)")
        }
        if let decoding = error as? PostgresDecodingError {
            // A column of another type than this code reads (a schema altered by hand); the
            // error's own description could quote the value: only the column is named.
            return VaultError.storeCorrupted(
                "\(endpoint): column \(decoding.columnName) of Coffer's schema '\(schema)' holds a value of an unexpected type; the schema was altered: restore it from a backup")
        }
        guard let psql = error as? PSQLError else {
            // The caller's own errors (a throwing seal closure) pass through unchanged.
            return error
        }
        if psql.code == .server {
            let state = psql.serverInfo?[.sqlState] ?? "?????"
            let message = psql.serverInfo?[.message] ?? "no message"
            let said = "\(message) (SQLSTATE \(state))"
            switch state {
            case "28P01", "28000":
                return VaultError.storeUnavailable(
                    "\(endpoint) refused the login: \(said); check the user name and password of the \(endpoint.role) configuration and pg_hba.conf")
            case "3D000":
                return VaultError.storeUnavailable(
                    "\(endpoint): the database does not exist (\(said)); create it as docs/POSTGRES.md shows")
            case "42501":
                return VaultError.storeUnavailable(
                    "\(endpoint): permission denied (\(said)); grant the privileges docs/POSTGRES.md lists, or run this operation with the maintenance role")
            case "42P01", "3F000":
                return VaultError.storeUnavailable(
                    "\(endpoint): Coffer's schema '\(schema)' is not installed (\(said)); open the store once with the maintenance configuration to migrate it")
            case "40001", "40P01":
                return VaultError.storeUnavailable(
                    "\(endpoint): the transaction kept conflicting with concurrent ones (\(said)); retry")
            case "53300":
                return VaultError.storeUnavailable("\(endpoint): too many connections (\(said)); lower the pools' maximumConnections or raise max_connections")
            case "57P01", "57P02", "57P03":
                return VaultError.storeUnavailable("\(endpoint) is shutting down or starting up (\(said)); retry")
            default:
                if state.hasPrefix("08") {
                    return VaultError.storeUnavailable("\(endpoint): connection failure (\(said))")
                }
                return VaultError.storeUnavailable("\(endpoint): \(said)")
            }
        }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            let reason = psql.underlying.map { " (\(String(describing: $0)))" } ?? ""
            return VaultError.storeUnavailable(
                "cannot reach \(endpoint)\(reason); check that the server is running and accepts TCP connections there, the host and port, and the network")
        case .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            return VaultError.storeUnavailable("\(endpoint): TLS negotiation failed; check the tls setting of the \(endpoint.role) configuration")
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return VaultError.storeUnavailable(
                "\(endpoint) refused the login (\(psql.code)); check the password of the \(endpoint.role) configuration and pg_hba.conf")
        case .queryCancelled:
            return CancellationError()
        default:
            return VaultError.storeUnavailable("\(endpoint): \(psql.code)")
        }
    }
}
