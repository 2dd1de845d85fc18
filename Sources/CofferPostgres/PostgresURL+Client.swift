public import CofferInput
public import PostgresNIO

extension PostgresURL {
    /// The connection-pool configuration for this URL, as the `coffer` CLI and services use it:
    /// TLS from `sslmode`, a 10 s connect timeout and at most `maximumConnections` connections.
    public func clientConfiguration(maximumConnections: Int = 4) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .require, .verifyFull: tls = .require(.makeClientConfiguration())
        case .prefer: tls = .prefer(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        config.options.connectTimeout = .seconds(10)
        config.options.maximumConnections = maximumConnections
        return config
    }
}
