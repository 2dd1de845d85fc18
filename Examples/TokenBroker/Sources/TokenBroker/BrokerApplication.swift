public import AsyncHTTPClient
public import Coffer
import CofferService
public import Hummingbird
public import Logging
public import Prometheus
import ServiceLifecycle

/// Builds the broker: the Hummingbird application serving the API, with the vault as a
/// `Service` (CofferService's `VaultService`) in the application's `ServiceGroup`, started
/// before the server and shut down after it.
public enum BrokerApplication {
    /// The application.
    /// - Parameters:
    ///   - vault: the vault holding every workspace's connections.
    ///   - closeStore: stops the store when the service group shuts down.
    ///   - configuration: providers, skew, claim timing; checked here.
    ///   - registry: the Prometheus registry `/metrics` renders (the one the process bootstrapped
    ///     `MetricsSystem` with, so Coffer's and the broker's metrics appear there).
    ///   - host, port: where to listen (port 0: any free port).
    ///   - http: the client for the providers' token endpoints.
    ///   - logger: the request logger; it receives workspace ids, connection names and versions,
    ///     never a token.
    /// - Throws: ``BrokerError`` (400) for a configuration out of range.
    public static func make(
        vault: Vault, closeStore: @escaping @Sendable () async -> Void = {}, configuration: BrokerConfiguration,
        registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int = 8080,
        http: HTTPClient = .shared, logger: Logger
    ) throws -> some ApplicationProtocol {
        try configuration.validate()
        let refresher = TokenRefresher(
            vault: vault, configuration: configuration, provider: ProviderClient(http: http, timeout: configuration.providerTimeout))
        let routes = BrokerRoutes(vault: vault, configuration: configuration, refresher: refresher, registry: registry)
        let router = Router(context: BasicRequestContext.self)
        // Request counts and latencies by route pattern (`/workspaces/{ws}/…`, never the ids).
        router.add(middleware: MetricsMiddleware())
        routes.register(on: router)
        // The group shuts services down in reverse order: the HTTP server, then the vault
        // service (which commits the buffered audit records), then the store.
        var jobs = VaultService.Configuration()
        jobs.dataKeyCacheSweepInterval = .seconds(60)
        let services: [any Service] = [StoreCloser(close: closeStore), VaultService(vault: vault, configuration: jobs, logger: logger)]
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "token-broker"),
            services: services,
            onServerRunning: { channel in
                logger.info("token broker listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            },
            logger: logger)
    }
}
