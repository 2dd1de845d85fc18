import ArgumentParser
import Coffer
import CofferSQLite
import Foundation
import Logging

/// Options of every command that opens the vault: the store and the KEK.
struct VaultOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp(
        "SQLite database file (default: $COFFER_STORE or ~/.coffer/vault.db).", valueName: "path"))
    var store: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    /// The store path: `--store`, `COFFER_STORE`, or `~/.coffer/vault.db`.
    var storePath: String {
        let env = ProcessInfo.processInfo.environment
        if let store, !store.isEmpty { return store }
        if let s = env["COFFER_STORE"], !s.isEmpty { return s }
        return (env["HOME"] ?? ".") + "/.coffer/vault.db"
    }

    /// Opens the store and the vault. `create` allows creating a new database file (only
    /// `coffer init` does); otherwise a missing file is reported with the command that makes it.
    func openVault(create: Bool = false) throws -> (Vault, Logger) {
        let logger = global.makeLogger()
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
        let store = try SQLiteStore(path: path, logger: logger)
        let kek = try global.kekProvider(logger: logger)
        let previous = try global.previousKEKProviders(logger: logger)
        return (Vault(store: store, kek: kek, previousKEKs: previous, logger: logger), logger)
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
            out = text()
            if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
        }
        try out.withUTF8 { try Terminal.writeStdout(UnsafeRawBufferPointer($0)) }
    }
}

/// Formatting helpers for text output.
enum Format {
    static func date(_ d: Date?) -> String {
        guard let d else { return "-" }
        return ISO8601DateFormatter().string(from: d)
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
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
