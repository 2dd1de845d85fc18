import ArgumentParser
import Coffer
import CofferCrypto
import CofferInput
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import TokenBroker

/// `token-broker`: runs the broker until SIGTERM or SIGINT (README.md).
@main
struct TokenBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-broker",
        abstract: "A multi-tenant OAuth token broker on a Coffer vault.")

    @Option(help: "A SQLite file (created 0600) or a postgres:// URL of the application role.")
    var database = "token-broker.sqlite"

    @Option(help: "PostgreSQL only: the maintenance role's postgres:// URL (migrations, new workspaces, GET /expiring).")
    var maintenanceDatabase: String?

    @Option(help: "The key-encryption key: file:PATH (made with `coffer kek generate PATH`), env:VAR, … (default: $COFFER_KEK).")
    var kek: String?

    @Option(help: "The providers file (JSON; mode 0600 when it holds client secrets).")
    var providers: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (1-65535).")
    var port = 8080

    @Option(help: "Refresh access tokens expiring within this window (e.g. 60s, 5m).")
    var refreshSkew = "60s"

    @Option(help: "How long a refresh claim holds before another instance may take over.")
    var claimDuration = "30s"

    @Option(help: "Deadline of one call to a provider's token endpoint.")
    var providerTimeout = "10s"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        do {
            try await serve()
        } catch let failure as StartupFailure {
            FileHandle.standardError.write(Data("token-broker: \(failure.message)\n".utf8))
            throw ExitCode(failure.status.rawValue)
        }
    }

    private func serve() async throws {
        // Every flag is checked before anything is opened.
        guard (1...65_535).contains(port) else { throw StartupFailure(.usage, "--port must be between 1 and 65535") }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw StartupFailure(.usage, "--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        let configuration = BrokerConfiguration(
            providers: try ProvidersFile.load(providers),
            refreshSkew: try Self.duration(refreshSkew, flag: "--refresh-skew"),
            claimDuration: try Self.duration(claimDuration, flag: "--claim-duration"),
            providerTimeout: try Self.duration(providerTimeout, flag: "--provider-timeout"))
        do {
            try configuration.validate()
        } catch {
            throw StartupFailure(.usage, error.message)
        }
        let database: BrokerDatabase
        do {
            database = try BrokerDatabase(database: self.database, maintenance: maintenanceDatabase)
        } catch {
            throw StartupFailure(.usage, error.message)
        }
        guard let kekURI = kek ?? ProcessInfo.processInfo.environment["COFFER_KEK"], !kekURI.isEmpty else {
            throw StartupFailure(.configuration, "no key-encryption key: pass --kek file:PATH (or set COFFER_KEK)")
        }

        // The executable, not the library, bootstraps logging and metrics.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "token-broker")

        let kekProvider: any KeyEncryptionKeyProvider
        do {
            kekProvider = try KEKProviders.make(uri: kekURI, environment: nil, logger: logger)
            if let loaded = kekProvider as? any LoadedKEKProvider { try loaded.load() }
        } catch {
            throw StartupFailure(.configuration, "the key-encryption key cannot be used: \(error)")
        }
        let opened: BrokerDatabase.Opened
        do {
            opened = try await database.open(logger: logger)
        } catch let error as BrokerError {
            throw StartupFailure(.usage, error.message)
        } catch {
            throw StartupFailure(.storeUnavailable, "\(error)")
        }
        var vaultConfiguration = VaultConfiguration()
        vaultConfiguration.defaultActor = "token-broker"
        let vault = Vault(store: opened.store, kek: kekProvider, configuration: vaultConfiguration, logger: logger)
        let app = try BrokerApplication.make(
            vault: vault, closeStore: opened.close, configuration: configuration, registry: registry,
            host: host, port: port, logger: logger)
        try await app.runService()
    }

    /// A checked duration flag.
    static func duration(_ text: String, flag: String) throws -> Duration {
        do {
            return try DurationParser.parse(text, allowZero: true)
        } catch {
            throw StartupFailure(.usage, "\(flag) \(error.message)")
        }
    }
}
