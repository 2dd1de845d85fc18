import Coffer
import CofferCrypto
import CofferService
import CofferSQLite
import Foundation
import Logging
import ServiceLifecycle

/// One test's world: a temporary directory with a real SQLite file store, a KEK, and vaults
/// over that file. The directory is removed when the fixture is released.
final class ServiceFixture: Sendable {
    let path: String
    let databasePath: String
    /// An `env:` KEK (so the KEK metrics carry `provider=env`), a fresh random key per fixture.
    let kek: any KeyEncryptionKeyProvider
    let configuration: VaultConfiguration

    static let logger = Logger(label: "coffer.service-tests") { _ in SwiftLogNoOpLogHandler() }

    /// Buffered reads wait for an hour (or 100 000 records) before the audit writer commits
    /// them on its own: whatever is committed at shutdown was committed by the service.
    init(configure: (inout VaultConfiguration) -> Void = { _ in }) throws {
        path = FileManager.default.temporaryDirectory.path + "/coffer-service-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        databasePath = path + "/vault.db"
        var generator = SystemRandomNumberGenerator()
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
        kek = EnvironmentKEKProvider(variable: "COFFER_TEST_KEK", environment: ["COFFER_TEST_KEK": key])
        var configuration = VaultConfiguration()
        configuration.audit.reads = .buffered
        configuration.audit.flushInterval = .seconds(3_600)
        configuration.audit.maxBufferedRecords = 100_000
        configure(&configuration)
        self.configuration = configuration
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A vault over its own connection to the database file (a cold data-key cache), with the
    /// fixture's configuration changed by `configure` and, if given, another KEK.
    func vault(kek other: (any KeyEncryptionKeyProvider)? = nil, configure: (inout VaultConfiguration) -> Void = { _ in }) throws -> Vault {
        var configuration = configuration
        configure(&configuration)
        return Vault(
            store: try SQLiteStore(path: databasePath, logger: Self.logger), kek: other ?? kek, configuration: configuration,
            logger: Self.logger)
    }

    /// The value stored for secret `i` (recognisable; never printed by the code under test).
    static func value(_ i: Int) -> SecretBytes { SecretBytes(Array("value-\(i)-of-the-service-test".utf8)) }

    static func name(_ i: Int) -> String { "svc/secret-\(i)" }

    /// Runs `service` in a ServiceGroup, runs `whileRunning` (which decides when to shut down
    /// by calling the closure it gets), and returns once the group has ended. With
    /// `untilDriven`, `whileRunning` starts only once the service drives that vault's audit
    /// writer.
    static func runGroup(
        _ service: VaultService, untilDriven vault: Vault? = nil,
        whileRunning: @Sendable (_ shutdown: @Sendable () async -> Void) async throws -> Void
    ) async throws {
        let group = ServiceGroup(services: [service], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let vault {
                while !vault.isAuditWriterDriven { try await Task.sleep(for: .milliseconds(1)) }
            }
            try await whileRunning { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
    }
}

/// A one-shot signal between a hook running inside the service and the test.
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1)) }

    func fire() { continuation.yield() }

    func wait() async { for await _ in stream { return } }
}

/// A counter shared between tasks.
final class Counter: Sendable {
    private let count = PosixMutex(0)
    /// Adds one and returns the new count.
    @discardableResult func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}
