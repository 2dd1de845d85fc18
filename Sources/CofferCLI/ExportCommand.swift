import ArgumentParser
import Coffer
import CofferCrypto
import Foundation

extension CofferCommand {
    /// `coffer export WS`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a workspace's live secrets: plaintext JSON, or an encrypted bundle.",
            discussion: """
                Plaintext (portability; the flag makes you say it on purpose):
                  coffer export acme --format json --plaintext > acme.json
                Encrypted bundle for another deployment, to a recipient's public key (coffer keygen) or a
                passphrase (from --passphrase-file or COFFER_BUNDLE_PASSPHRASE):
                  coffer export acme --to recipient.key.pub --out acme.bundle
                  COFFER_BUNDLE_PASSPHRASE=… coffer export acme --passphrase --out acme.bundle
                Output goes to --out (created 0600) or stdout; a bundle is never written to a terminal.
                """)
        @OptionGroup var options: VaultOptions
        @Argument(help: "Workspace id.")
        var workspace: String
        @Option(name: .long, help: "json (plaintext, with --plaintext) or bundle (default: bundle with --to/--passphrase, else json).")
        var format: String?
        @Flag(name: .long, help: "Confirm that the JSON output holds plaintext secrets.")
        var plaintext = false
        @Option(name: .long, help: ArgumentHelp("Seal the bundle to this X25519 public key file (from coffer keygen).", valueName: "path"))
        var to: String?
        @Flag(name: .long, help: "Seal the bundle under a passphrase (--passphrase-file or COFFER_BUNDLE_PASSPHRASE).")
        var passphrase = false
        @Option(name: .long, help: ArgumentHelp("Read the bundle passphrase from this file.", valueName: "path"))
        var passphraseFile: String?
        @Option(name: .long, help: ArgumentHelp("Write to this file (created 0600, never replaced) instead of stdout.", valueName: "path"))
        var out: String?

        var isBundle: Bool { format == "bundle" || (format == nil && (to != nil || passphrase || passphraseFile != nil)) }

        func validate() throws {
            if let format, format != "json", format != "bundle" { throw ValidationError("--format must be json or bundle") }
            if isBundle {
                guard (to != nil) != (passphrase || passphraseFile != nil) else {
                    throw ValidationError("a bundle is sealed to exactly one of: --to PUBLIC_KEY_FILE, --passphrase")
                }
            } else {
                guard plaintext else {
                    throw ValidationError("JSON export writes secrets in plaintext: pass --plaintext to confirm, or seal a bundle with --to PUBLIC_KEY_FILE or --passphrase")
                }
            }
        }

        func run() async throws {
            try await Self.reportingFailures {
                if isBundle, out == nil, isatty(1) != 0 {
                    throw CLIFailure(status: .usage, message: "refusing to write a binary bundle to a terminal; pass --out FILE or redirect stdout")
                }
                // The destination is claimed before anything is read or audited.
                let output = try out.map { try OutputFile.claim($0, replace: false, forceFlag: nil) }
                let (vault, _) = try await options.openVault()
                let scope = try vault.workspace(workspace)
                if isBundle {
                    let bundle: [UInt8]
                    if let to {
                        let recipient = try X25519PublicKey(contentsOfFile: to)
                        bundle = try await scope.exportBundle(to: recipient)
                    } else {
                        bundle = try await scope.exportBundle(passphrase: try BundlePassphrase.read(file: passphraseFile))
                    }
                    try bundle.withUnsafeBytes { try Terminal.writeOutput($0, to: output) }
                } else {
                    let json = try await scope.export().jsonBytes()
                    try json.withUnsafeBytes { try Terminal.writeOutput($0, to: output) }
                    if out == nil { try [UInt8(0x0a)].withUnsafeBytes { try Terminal.writeStdout($0) } }
                }
            }
        }
    }
}

/// The passphrase of an export bundle: from a file or `COFFER_BUNDLE_PASSPHRASE`, one
/// trailing newline removed. Never from arguments.
enum BundlePassphrase {
    static func read(file: String?) throws -> SecretBytes {
        let raw: SecretBytes
        if let file {
            do {
                raw = try SecretReader.readKeyFile(atPath: file, limit: 4096, what: "passphrase file")
            } catch CofferCryptoError.kekUnavailable(let why) {
                throw CLIFailure(status: .configuration, message: why)
            } catch CofferCryptoError.messageTooLarge(let limit) {
                throw CLIFailure(status: .invalidInput, message: "the passphrase file is larger than \(limit) bytes")
            }
        } else if let text = ProcessInfo.processInfo.environment["COFFER_BUNDLE_PASSPHRASE"], !text.isEmpty {
            raw = SecretBytes(Array(text.utf8))
        } else {
            throw CLIFailure(status: .usage, message: "no bundle passphrase: pass --passphrase-file PATH or set COFFER_BUNDLE_PASSPHRASE")
        }
        var bytes = raw.unprotectedArray()
        defer { for i in bytes.indices { bytes[i] = 0 } }
        while let last = bytes.last, last == 0x0a || last == 0x0d { bytes.removeLast() }
        guard !bytes.isEmpty else { throw CLIFailure(status: .invalidInput, message: "the bundle passphrase is empty") }
        return SecretBytes(bytes)
    }
}
