import ArgumentParser
import Coffer
import CofferCrypto
import Foundation

extension CofferCommand {
    /// `coffer import WS`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import secrets into a workspace: a JSON export, an encrypted bundle, or Fernet tokens.",
            discussion: """
                All or nothing: every input is validated (a bundle authenticated) before anything is
                written, and everything is written in one transaction. Existing secrets are a conflict
                (exit 75) unless --overwrite. The workspace is created if it does not exist.

                  coffer import acme --file acme.json                               (JSON from coffer export)
                  coffer import acme --format bundle --identity recipient.key --file acme.bundle
                  COFFER_BUNDLE_PASSPHRASE=… coffer import acme --format bundle --file acme.bundle
                A passphrase bundle asking for more Argon2id work than --max-argon2-passes (default 4)
                or --max-argon2-memory (MiB, default 256) is refused before Argon2id runs (exit 65).
                  coffer import acme --format fernet --fernet-key-file new.key --fernet-key-file old.key \\
                      --ttl 86400 --file tokens.tsv
                Fernet input: one 'name<TAB>token' per line ('#' comments and blank lines skipped); keys
                are tried in the order given (MultiFernet). Invalid lines are reported by number and
                nothing is written unless --skip-invalid.
                """)
        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Option(name: .long, help: "json (default), bundle or fernet.")
        var format: String = "json"
        @Option(name: .long, help: ArgumentHelp("Read the input from this file instead of stdin.", valueName: "path"))
        var file: String?
        @Flag(name: .long, help: "Write a new version over secrets that already exist.")
        var overwrite = false
        @Option(name: .long, help: ArgumentHelp("bundle: X25519 secret key file (from coffer keygen).", valueName: "path"))
        var identity: String?
        @Option(name: .long, help: ArgumentHelp("bundle: read the passphrase from this file (or COFFER_BUNDLE_PASSPHRASE).", valueName: "path"))
        var passphraseFile: String?
        @Option(name: .long, help: ArgumentHelp(
            "bundle: refuse a passphrase bundle whose header asks for more Argon2id passes than this, before running Argon2id (1...32; default 4).",
            valueName: "n"))
        var maxArgon2Passes: UInt64 = ExportBundle.defaultMaxCost.opsLimit
        @Option(name: .long, help: ArgumentHelp(
            "bundle: refuse a passphrase bundle whose header asks for more Argon2id memory than this many MiB, before running Argon2id (1...1024; default 256).",
            valueName: "mib"))
        var maxArgon2Memory: Int = ExportBundle.defaultMaxCost.memLimitBytes >> 20
        @Option(name: .long, help: ArgumentHelp("fernet: a Fernet key file (repeatable; tried in order).", valueName: "path"))
        var fernetKeyFile: [String] = []
        @Option(name: .long, help: ArgumentHelp("fernet: reject tokens older than this many seconds.", valueName: "seconds"))
        var ttl: Int?
        @Flag(name: .long, help: "fernet: import the valid lines and report the invalid ones.")
        var skipInvalid = false

        /// Largest input read: 512 MiB.
        static let inputLimit = 512 << 20

        func validate() throws {
            guard ["json", "bundle", "fernet"].contains(format) else { throw ValidationError("--format must be json, bundle or fernet") }
            if format == "fernet", fernetKeyFile.isEmpty { throw ValidationError("--format fernet needs at least one --fernet-key-file") }
            if format != "fernet", !fernetKeyFile.isEmpty || ttl != nil || skipInvalid {
                throw ValidationError("--fernet-key-file, --ttl and --skip-invalid are for --format fernet")
            }
            if let ttl { try ArgumentRanges.check(ttl, in: ArgumentRanges.ttl, option: "--ttl") }
            if format != "bundle", identity != nil || passphraseFile != nil { throw ValidationError("--identity and --passphrase-file are for --format bundle") }
            if format == "bundle", identity != nil, passphraseFile != nil { throw ValidationError("pass --identity or --passphrase-file, not both") }
            let formatMax = ExportBundle.formatMaxCost
            guard (1...formatMax.opsLimit).contains(maxArgon2Passes) else {
                throw ValidationError("--max-argon2-passes must be 1...\(formatMax.opsLimit)")
            }
            guard (1...(formatMax.memLimitBytes >> 20)).contains(maxArgon2Memory) else {
                throw ValidationError("--max-argon2-memory must be 1...\(formatMax.memLimitBytes >> 20) (MiB)")
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                let input = try Self.readInput(file: file)
                let (vault, _) = try await options.openVault()
                let scope = try vault.workspace(workspace)
                // Decode and authenticate everything before touching the store.
                let report: ImportReport
                switch format {
                case "bundle":
                    // Authenticate and parse the whole bundle before creating or writing anything.
                    let bytes = input.unprotectedArray()
                    let json: SecretBytes
                    do {
                        if let identity {
                            json = try ExportBundle.open(bytes, with: try X25519KeyPair.load(secretKeyFile: identity))
                        } else {
                            json = try ExportBundle.open(
                                bytes, passphrase: try BundlePassphrase.read(file: passphraseFile),
                                maxCost: .init(opsLimit: maxArgon2Passes, memLimitBytes: maxArgon2Memory << 20))
                        }
                    } catch let error as CofferCryptoError {
                        throw VaultError(error)
                    }
                    let export = try WorkspaceExport(json: json)
                    report = try await scope.importSecrets(export, overwrite: overwrite, creatingWorkspace: true)
                case "fernet":
                    let keys = try fernetKeyFile.map { try FernetKey(contentsOfFile: $0) }
                    let parsed = try FernetImportFile(contentsOf: input.unprotectedArray(), keys: keys, ttl: ttl, now: Date())
                    if !parsed.failures.isEmpty, !skipInvalid {
                        for failure in parsed.failures { Terminal.printError("line \(failure.line): \(failure.reason)") }
                        throw CLIFailure(
                            status: .invalidInput,
                            message: "\(parsed.failures.count) invalid line(s); nothing was written (pass --skip-invalid to import the \(parsed.entries.count) valid line(s))")
                    }
                    report = try await scope.importFernet(parsed, skipInvalid: skipInvalid, overwrite: overwrite, creatingWorkspace: true)
                default:
                    let export = try WorkspaceExport(json: input)
                    report = try await scope.importSecrets(export, overwrite: overwrite, creatingWorkspace: true)
                }
                for skipped in report.skipped { Terminal.printError("skipped line \(skipped.line): \(skipped.reason)") }
                try options.emit(report) {
                    "imported \(report.written.count) secret(s) into \(workspace)" + (report.skipped.isEmpty ? "" : "; skipped \(report.skipped.count) invalid line(s)")
                }
            }
        }

        static func readInput(file: String?) throws -> SecretBytes {
            if file == nil, isatty(0) != 0 {
                throw CLIFailure(status: .usage, message: "pipe the input on stdin or pass --file PATH")
            }
            do {
                if let file { return try SecretReader.readFile(atPath: file, limit: inputLimit) }
                return try SecretReader.readAll(fileDescriptor: 0, limit: inputLimit)
            } catch CofferCryptoError.messageTooLarge(let limit) {
                throw CLIFailure(status: .invalidInput, message: "input is larger than \(limit) bytes; nothing was written")
            } catch CofferCryptoError.libraryFailure(let what) {
                throw CLIFailure(status: .notFound, message: "cannot read the input: \(what)")
            }
        }
    }
}
