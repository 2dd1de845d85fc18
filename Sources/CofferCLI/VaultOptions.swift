import ArgumentParser
import Coffer
import CofferInput
import CofferCrypto
import CofferPostgres
import CofferSQLite
import Foundation
import Logging

/// Options of every command that opens the vault: the store and the KEK.
struct VaultOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp(
        "SQLite database file, or postgres://USER@HOST:PORT/DB?schema=S (application role; password from the URL or $PGPASSWORD) (default: $COFFER_STORE or ~/.coffer/vault.db).",
        valueName: "path-or-url"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp(
        "PostgreSQL only: postgres:// URL of the maintenance role, for init (migrations), workspace create/list, status, rotate --revoke, retire, reencrypt, rotate-kek, policy (default: $COFFER_MAINTENANCE_STORE).",
        valueName: "url"))
    var maintenanceStore: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "Identity recorded as the actor in the audit log (default: $COFFER_ACTOR or cli:$USER).", valueName: "name"))
    var actor: String?

    /// The audit actor: `--actor`, `COFFER_ACTOR`, or `cli:<user>`.
    var actorName: String {
        let env = ProcessInfo.processInfo.environment
        if let actor, !actor.isEmpty { return actor }
        if let a = env["COFFER_ACTOR"], !a.isEmpty { return a }
        if let user = env["USER"] ?? env["LOGNAME"], !user.isEmpty { return "cli:" + user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return "cli:" + String(cString: name) }
        return "cli:uid-\(getuid())"
    }

    /// The vault configuration of a CLI process: reads are audited synchronously (one
    /// operation per process, nothing may stay buffered at exit); the deletion grace period
    /// and audit retention come from `COFFER_DELETION_GRACE` / `COFFER_AUDIT_RETENTION`
    /// (e.g. `30d`) when set.
    func vaultConfiguration() throws -> VaultConfiguration {
        var configuration = VaultConfiguration()
        configuration.audit.reads = .synchronous
        configuration.defaultActor = actorName
        let env = ProcessInfo.processInfo.environment
        if let text = env["COFFER_DELETION_GRACE"], !text.isEmpty {
            configuration.deletionGracePeriod = try Self.duration(text, name: "COFFER_DELETION_GRACE")
        }
        if let text = env["COFFER_AUDIT_RETENTION"], !text.isEmpty {
            configuration.audit.retention = try Self.duration(text, name: "COFFER_AUDIT_RETENTION")
        }
        return configuration
    }

    /// `30d`, `12h`, `0s`, … as a Duration, 0s to 36500d (``DurationParser``); anything else is
    /// a usage error (exit 64) naming `name` and the accepted range.
    static func duration(_ text: String, name: String) throws -> Duration {
        do {
            return try DurationParser.parse(text, allowZero: true)
        } catch {
            throw CLIFailure(status: .usage, message: "\(name) \(error.message)")
        }
    }

    /// The store path or URL: `--store`, `COFFER_STORE`, or `~/.coffer/vault.db`.
    var storePath: String {
        let env = ProcessInfo.processInfo.environment
        if let store, !store.isEmpty { return store }
        if let s = env["COFFER_STORE"], !s.isEmpty { return s }
        return (env["HOME"] ?? ".") + "/.coffer/vault.db"
    }

    /// Whether the store is a PostgreSQL database.
    var isPostgres: Bool { PostgresURL.isPostgres(storePath) }

    /// The maintenance URL: `--maintenance-store` or `COFFER_MAINTENANCE_STORE`.
    var maintenanceStorePath: String? {
        if let maintenanceStore, !maintenanceStore.isEmpty { return maintenanceStore }
        if let s = ProcessInfo.processInfo.environment["COFFER_MAINTENANCE_STORE"], !s.isEmpty { return s }
        return nil
    }

    /// The store as printed: a SQLite path, or a PostgreSQL URL without its password.
    var storeDisplayName: String {
        guard isPostgres else { return storePath }
        return (try? PostgresURL(storePath, option: "--store", environment: ProcessInfo.processInfo.environment).redacted)
            ?? "postgres://…"
    }

    /// Opens the store and the vault. `create` allows creating a new database file (only
    /// `coffer init` does); otherwise a missing file is reported with the command that makes it.
    /// `maintenanceFor` names the command when it needs the PostgreSQL maintenance role: without
    /// `--maintenance-store` (or `COFFER_MAINTENANCE_STORE`) it fails saying so (exit 69).
    func openVault(create: Bool = false, maintenanceFor command: String? = nil, grace: Duration? = nil) async throws -> (Vault, Logger) {
        let logger = global.makeLogger()
        let store: any LifecycleSecretStore
        if isPostgres {
            store = try await openPostgres(maintenanceFor: command, logger: logger)
        } else {
            if let maintenanceStore, !maintenanceStore.isEmpty {
                throw CLIFailure(status: .usage, message: "--maintenance-store is only for a postgres:// --store")
            }
            store = try openSQLite(create: create, logger: logger)
        }
        let kek = try global.kekProvider(logger: logger)
        let previous = try global.previousKEKProviders(logger: logger)
        // Every configured KEK is loaded now, so a missing, unprotected or unreadable key source
        // is its own error (exit 78) on every command, also those that would not need it.
        for provider in [kek] + previous {
            if let loaded = provider as? any LoadedKEKProvider { try loaded.load() }
        }
        var configuration = try vaultConfiguration()
        if let grace { configuration.deletionGracePeriod = grace }
        let vault = Vault(store: store, kek: kek, previousKEKs: previous, configuration: configuration, logger: logger)
        return (vault, logger)
    }

    private func openSQLite(create: Bool, logger: Logger) throws -> SQLiteStore {
        let path = storePath
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw CLIFailure(
                status: .storeUnavailable,
                message: "no vault at \(path); create one with: coffer init --store \(path) (or set COFFER_STORE)")
        }
        if create {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        }
        // Only init creates: every other command opens an existing Coffer database or nothing.
        return try SQLiteStore(path: path, logger: logger, options: SQLiteStore.Options(create: create))
    }

    private func openPostgres(maintenanceFor command: String?, logger: Logger) async throws -> PostgresStore {
        let env = ProcessInfo.processInfo.environment
        let application = try PostgresURL(storePath, option: "--store", environment: env)
        var maintenance: PostgresURL?
        if let text = maintenanceStorePath {
            guard PostgresURL.isPostgres(text) else {
                throw CLIFailure(status: .usage, message: "--maintenance-store must be a postgres:// URL")
            }
            maintenance = try PostgresURL(text, option: "--maintenance-store", environment: env)
        }
        if let command, maintenance == nil {
            throw CLIFailure(
                status: .storeUnavailable,
                message: "coffer \(command) needs the PostgreSQL maintenance role: pass --maintenance-store postgres://MAINT_USER@HOST:PORT/DB "
                    + "(or set COFFER_MAINTENANCE_STORE); --store names the application role (docs/POSTGRES.md)")
        }
        if let maintenance, maintenance.schema != application.schema {
            throw CLIFailure(
                status: .usage,
                message: "--store and --maintenance-store name different schemas ('\(application.schema)', '\(maintenance.schema)')")
        }
        let options = PostgresStore.Options(schema: application.schema, applicationRole: maintenance?.applicationRole)
        let store = try await PostgresStore(
            application: application.clientConfiguration(), maintenance: maintenance?.clientConfiguration(),
            options: options, logger: logger)
        OpenStores.register(store)
        return store
    }

    /// Writes `value` as pretty JSON (with --json) or `text` otherwise, to stdout.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        var out: String
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            out = String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        } else {
            // Human-readable text quotes stored names, labels and details: control characters
            // are escaped (the layout's own newlines kept), so none reaches the terminal.
            out = TerminalText.escaped(text(), keepingNewlines: true)
            if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
        }
        try out.withUTF8 { try Terminal.writeStdout(UnsafeRawBufferPointer($0)) }
    }
}

/// Formatting helpers for text output.
enum Format {
    /// `YYYY-MM-DDTHH:MM:SSZ` (``TimestampParser/format(_:)``: proleptic Gregorian, in range).
    static func date(_ d: Date?) -> String {
        guard let d else { return "-" }
        return TimestampParser.format(d)
    }

    /// Left-aligned columns separated by two spaces. Cells are escaped (``TerminalText``), a
    /// newline in a stored value included, so no cell can break the table or the terminal.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = ([header] + rows).map { $0.map { TerminalText.escaped($0) } }
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func labels(_ l: [String: String]) -> String {
        l.isEmpty ? "-" : l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
