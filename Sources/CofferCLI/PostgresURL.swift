import CofferPostgres
import Foundation
import PostgresNIO

/// A `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=S&sslmode=M]` store URL.
///
/// - The password comes from the URL or, when the URL has none, from `PGPASSWORD`. It is never
///   part of ``redacted`` (the only form the CLI prints).
/// - `schema` names the PostgreSQL schema holding Coffer's tables (default `coffer`).
/// - `sslmode`: `disable`, `prefer` (default: TLS when the server offers it), `require` or
///   `verify-full` (both require TLS and verify the server certificate and host name).
/// - `application_role`: the role migrations grant table privileges to (maintenance URL only;
///   default: the application URL's user).
struct PostgresURL: Sendable {
    /// Whether `text` names a PostgreSQL store rather than a SQLite file.
    static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    var host: String
    var port: Int
    var user: String
    var database: String
    var schema: String
    var sslMode: String
    var applicationRole: String?
    /// From the URL or PGPASSWORD; never printed.
    private var password: String?

    /// The URL without its password, for messages.
    var redacted: String {
        "postgres://\(user)@\(host):\(port)/\(database)?schema=\(schema)"
    }

    /// Parses `text`; `option` names where it came from, for the error message (which never
    /// repeats the URL, as it may hold a password).
    init(_ text: String, option: String, environment: [String: String]) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              ["postgres", "postgresql"].contains(scheme)
        else {
            throw CLIFailure(status: .usage, message: "\(option) is not a valid postgres://USER@HOST:PORT/DATABASE URL")
        }
        guard let user = url.user.map({ $0.removingPercentEncoding ?? $0 }), !user.isEmpty else {
            throw CLIFailure(status: .usage, message: "\(option) must name the user: postgres://USER@HOST:PORT/DATABASE")
        }
        self.user = user
        let host = url.host.map { $0.removingPercentEncoding ?? $0 } ?? ""
        self.host = host.isEmpty ? "localhost" : host
        port = url.port ?? 5432
        let path = String(url.path.drop { $0 == "/" })
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        if let fromURL = url.password {
            password = fromURL.removingPercentEncoding ?? fromURL
        } else {
            password = environment["PGPASSWORD"]
        }
        var schema = "coffer", sslMode = "prefer", applicationRole: String?
        for item in url.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema": schema = value
            case "sslmode":
                guard ["disable", "prefer", "require", "verify-full"].contains(value) else {
                    throw CLIFailure(status: .usage, message: "\(option): sslmode must be disable, prefer, require or verify-full")
                }
                sslMode = value
            case "application_role": applicationRole = value
            default:
                throw CLIFailure(
                    status: .usage,
                    message: "\(option): unknown URL parameter '\(item.name)' (known: schema, sslmode, application_role)")
            }
        }
        self.schema = schema
        self.sslMode = sslMode
        self.applicationRole = applicationRole
    }

    /// The pool configuration for this URL.
    func configuration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require", "verify-full": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        config.options.connectTimeout = .seconds(10)
        config.options.maximumConnections = 4
        return config
    }
}
