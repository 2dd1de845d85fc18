import CofferInput
import PostgresNIO

extension PostgresURL {
    /// Parses `text` for the CLI: a malformed URL is a usage error (exit 64) naming `option`;
    /// the message never repeats the URL, which may hold a password.
    init(_ text: String, option: String, environment: [String: String]) throws {
        do {
            try self.init(parsing: text, environment: environment)
        } catch {
            throw CLIFailure(status: .usage, message: "\(option) \(error.message)")
        }
    }

    /// The pool configuration for this URL.
    func configuration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .require, .verifyFull: tls = .require(.makeClientConfiguration())
        case .prefer: tls = .prefer(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        config.options.connectTimeout = .seconds(10)
        config.options.maximumConnections = 4
        return config
    }
}
