import AsyncHTTPClient
import Coffer
import CofferCrypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import Prometheus
import TokenBroker

/// One broker instance for a test: a temp directory with a KEK file and (for SQLite) the
/// database, the vault, and the application configured for the stub provider at `tokenURL`.
struct BrokerFixture: Sendable {
    let directory: String
    let vault: Vault
    let opened: BrokerDatabase.Opened
    let configuration: BrokerConfiguration

    /// The process's one Prometheus registry: MetricsSystem can be bootstrapped once.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// A quiet logger for tests that do not inspect logs.
    static let quiet: Logger = {
        var logger = Logger(label: "token-broker-test")
        logger.logLevel = .warning
        return logger
    }()

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "token-broker-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return path
    }

    /// A fresh KEK file in `directory`.
    static func kek(in directory: String) throws -> any KeyEncryptionKeyProvider {
        let path = directory + "/kek"
        if !FileManager.default.fileExists(atPath: path) { try FileKEKProvider.generateKeyFile(at: path) }
        return try KEKProviders.make(uri: "file:" + path)
    }

    /// An instance on `database` (default: a new SQLite file), sharing `directory`'s KEK.
    init(
        tokenURL: String, database: BrokerDatabase? = nil, directory: String? = nil, instanceID: String = "test",
        refreshSkew: Duration = .seconds(60), logger: Logger = BrokerFixture.quiet
    ) async throws {
        _ = Self.registry
        let directory = try directory ?? Self.temporaryDirectory()
        self.directory = directory
        let database = database ?? .sqlite(path: directory + "/broker.sqlite")
        opened = try await database.open(logger: logger)
        var vaultConfiguration = VaultConfiguration()
        vaultConfiguration.defaultActor = "token-broker-test"
        vaultConfiguration.maxVersionsPerSecret = 50
        vault = Vault(store: opened.store, kek: try Self.kek(in: directory), configuration: vaultConfiguration, logger: logger)
        let provider = try OAuthProvider(tokenURL: URL(string: tokenURL)!, clientID: StubProvider.clientID, clientSecret: StubProvider.clientSecret)
        configuration = BrokerConfiguration(
            providers: ["stub": provider], refreshSkew: refreshSkew, claimDuration: .seconds(5), providerTimeout: .seconds(3),
            claimPollInterval: .milliseconds(20), instanceID: instanceID)
    }

    /// The broker application of this instance.
    func application(logger: Logger = BrokerFixture.quiet) throws -> some ApplicationProtocol {
        try BrokerApplication.make(
            vault: vault, closeStore: opened.close, configuration: configuration, registry: Self.registry, port: 0, logger: logger)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with the stub provider live on loopback and its token URL.
func withStubProvider<T: Sendable>(_ provider: StubProvider, _ body: @Sendable (String) async throws -> T) async throws -> T {
    try await provider.application().test(.live) { client in
        try await body("http://localhost:\(client.port!)/token")
    }
}

extension TestClientProtocol {
    /// A JSON request; the answer's status and body.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: [String: any Sendable]? = nil, raw: String? = nil) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = ByteBuffer(string: raw) }
        let response = try await execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
        return (response.status, object)
    }

    /// The body of `GET uri` as text.
    func text(_ uri: String) async throws -> String {
        let response = try await execute(uri: uri, method: .get)
        return String(buffer: response.body)
    }
}

/// Runs `body` with the stub provider and one broker instance (a new SQLite vault) live on
/// loopback, and the client of the broker; removes the instance's files afterwards.
func withBroker(
    _ provider: StubProvider, refreshSkew: Duration = .seconds(60),
    _ body: @Sendable (BrokerFixture, any TestClientProtocol) async throws -> Void
) async throws {
    try await withStubProvider(provider) { tokenURL in
        let broker = try await BrokerFixture(tokenURL: tokenURL, refreshSkew: refreshSkew)
        defer { broker.remove() }
        try await broker.application().test(.live) { client in
            try await body(broker, client)
        }
    }
}
