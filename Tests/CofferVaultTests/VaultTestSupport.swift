import Coffer
import CofferCrypto
import CofferSQLite
import Foundation
import GRDB
import Logging
import Testing

/// A fresh temporary directory per test, removed when the value is released.
final class TestDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/coffer-vault-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock tests can set and advance.
final class ManualClock: Sendable {
    private let current: PosixMutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = PosixMutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Wraps a KEK provider, counting unwraps; can delay each unwrap and fail the first ones.
final class CountingKEK: KeyEncryptionKeyProvider {
    private let inner: LocalKEK
    private let delay: Duration
    private let state: PosixMutex<(unwraps: Int, failuresLeft: Int)>

    init(_ inner: LocalKEK, delay: Duration = .zero, failFirst: Int = 0) {
        self.inner = inner
        self.delay = delay
        self.state = PosixMutex((0, failFirst))
    }

    var unwrapCount: Int { state.withLock { $0.unwraps } }
    var displayName: String { "counting:" + inner.displayName }
    func keyID() async throws -> KEKIdentifier { inner.id }

    func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        try inner.wrap(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }

    func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        let fail = state.withLock { s -> Bool in
            s.unwraps += 1
            if s.failuresLeft > 0 { s.failuresLeft -= 1; return true }
            return false
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if fail { throw CofferCryptoError.kekUnavailable("test provider is offline") }
        return try inner.unwrap(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion)
    }
}

/// One test's world: a temp dir, a real SQLite store on a file in it, a KEK and a vault.
/// The directory is removed when the fixture is released: keep the fixture alive (bind it,
/// `withExtendedLifetime`) for as long as any vault over its store is used.
struct VaultFixture {
    let directory: TestDirectory
    let databasePath: String
    let store: SQLiteStore
    let kek: LocalKEK
    let clock: ManualClock
    let vault: Vault
    /// The KEK's bytes in base64, for child processes (`coffer-store-stress`).
    let kekBase64: String?

    static let logger = Logger(label: "coffer.vault-tests") { _ in SwiftLogNoOpLogHandler() }

    init(configure: (inout VaultConfiguration) -> Void = { _ in }) throws {
        directory = try TestDirectory()
        databasePath = directory.path + "/vault.db"
        store = try SQLiteStore(path: databasePath, logger: Self.logger)
        let keyBase64 = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        kekBase64 = keyBase64
        kek = try LocalKEK(SymmetricKey(base64: keyBase64), displayName: "test")
        clock = ManualClock()
        var configuration = VaultConfiguration()
        let clock = clock
        configuration.now = { clock.now }
        configure(&configuration)
        self.configuration = configuration
        vault = Vault(store: store, kek: kek, configuration: configuration, logger: Self.logger)
    }

    let configuration: VaultConfiguration

    /// A second vault over the same store (cold DEK cache), optionally with another KEK.
    func freshVault(kek other: (any KeyEncryptionKeyProvider)? = nil, configure: (inout VaultConfiguration) -> Void = { _ in }) -> Vault {
        var configuration = configuration
        configure(&configuration)
        return Vault(store: store, kek: other ?? kek, configuration: configuration, logger: Self.logger)
    }

    /// Direct GRDB access to the same database file, for tampering.
    func database() throws -> DatabaseQueue {
        try DatabaseQueue(path: databasePath)
    }
}

/// Test values: recognisable, never printed by the code under test.
func bytes(_ text: String) -> SecretBytes { SecretBytes(Array(text.utf8)) }

func text(_ value: SecretBytes) -> String { String(decoding: value.unprotectedArray(), as: UTF8.self) }

/// A counter shared between tasks.
final class Counter: Sendable {
    private let count = PosixMutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
