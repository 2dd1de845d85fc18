import ArgumentParser
import CofferAWSKMS
import CofferCrypto
import CofferPKCS11
import Foundation
import Logging
import Synchronization
import Coffer

/// Options every command that touches keys shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Key-encryption key: file:PATH, env:VAR, passphrase[:PATH], aws-kms:KEY or pkcs11:token=…;object=…?module-path=…&pin-source=file:… (default: $COFFER_KEK).",
        valueName: "uri"))
    var kek: String?

    @Option(name: .long, help: ArgumentHelp(
        "A KEK of an unfinished KEK rotation, used only to unwrap data keys it still wraps (repeatable; default: $COFFER_KEK_PREVIOUS, comma-separated).",
        valueName: "uri"))
    var previousKek: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Log lines on stderr from this level up: trace, debug, info, notice, warning, error, critical (default: $COFFER_LOG_LEVEL, else none: a failure prints only its one-line error).",
        valueName: "level"))
    var logLevel: String?

    /// The logger of this run; only the CLI bootstraps logging. Without `--log-level` or
    /// `COFFER_LOG_LEVEL` nothing is logged, so a failure is exactly one line on stderr.
    func makeLogger() -> Logger {
        let env = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? env["COFFER_LOG_LEVEL"].flatMap { $0.isEmpty ? nil : $0 }
        let level = levelName.map { Logger.Level(rawValue: $0.lowercased()) ?? .warning }
        Bootstrap.once(level: level)
        var logger = Logger(label: "coffer")
        logger.logLevel = level ?? .critical
        return logger
    }

    /// The KEK provider named by `--kek` or `COFFER_KEK`.
    func kekProvider(logger: Logger) throws -> any KeyEncryptionKeyProvider {
        let env = ProcessInfo.processInfo.environment
        guard let uri = kek ?? env["COFFER_KEK"], !uri.isEmpty else {
            throw CLIFailure(
                status: .configuration,
                message: "no key-encryption key configured: pass --kek file:PATH (or env:VAR, passphrase) or set COFFER_KEK; "
                    + "to try Coffer, use --kek file:keys-example/demo-kek.key")
        }
        return try Self.provider(uri: uri, logger: logger)
    }

    /// The providers named by `--previous-kek` (or `COFFER_KEK_PREVIOUS`, comma-separated).
    func previousKEKProviders(logger: Logger) throws -> [any KeyEncryptionKeyProvider] {
        var uris = previousKek
        if uris.isEmpty, let list = ProcessInfo.processInfo.environment["COFFER_KEK_PREVIOUS"] {
            uris = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return try uris.map { try Self.provider(uri: $0, logger: logger) }
    }

    /// The provider for a KEK URI, with the CLI's defaults.
    static func provider(uri: String, logger: Logger) throws -> any KeyEncryptionKeyProvider {
        switch try? KEKProviderURI(parsing: uri) {
        case .awsKMS?:
            // Region, credentials, endpoint and deadline from the AWS SDKs' variables (docs/KMS.md).
            return try AWSKMSKEKProvider(uri: uri, environment: ProcessInfo.processInfo.environment, logger: logger)
        case .pkcs11?:
            // A key in a PKCS#11 token; pin-value only with COFFER_PKCS11_ALLOW_PIN_VALUE=1 (docs/HSM.md).
            return try PKCS11KEKProvider(uri: uri, environment: ProcessInfo.processInfo.environment, logger: logger)
        default:
            break
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "."
        // environment: nil lets env: and the passphrase read the variable straight into
        // secure memory instead of through a Swift String copy.
        return try KEKProviders.make(
            uri: uri, environment: nil,
            defaultPassphraseParamsPath: home + "/.coffer/passphrase-kek.json",
            logger: logger)
    }
}

/// Installs the stderr log handler exactly once per process.
enum Bootstrap {
    private static let done = Mutex(false)
    /// `level` nil: no log output at all.
    static func once(level: Logger.Level?) {
        done.withLock { done in
            guard !done else { return }
            LoggingSystem.bootstrap { label in
                guard let level else { return SwiftLogNoOpLogHandler(label) }
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            done = true
        }
    }
}

/// Workspace, name and version that a value is bound to.
struct SecretLocation: ParsableArguments {
    @Option(name: [.customShort("w"), .long], help: "Workspace id (a-z 0-9 . _ -, at most 64).")
    var workspace: String

    @Option(name: [.customShort("n"), .long], help: "Secret name (A-Z a-z 0-9 . _ - /, at most 256).")
    var name: String

    @Option(name: .long, help: "Secret version bound into the ciphertext.", transform: ArgumentRanges.version)
    var version: UInt32 = 1

    func validate() throws {
        if let problem = NameRules.problem(withWorkspace: workspace) { throw ValidationError(problem) }
        if let problem = NameRules.problem(withSecretName: name) { throw ValidationError(problem) }
    }
}
