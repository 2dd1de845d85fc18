import ArgumentParser
import Coffer
import CofferCrypto
import CofferInput
import Foundation

/// `coffer`: the Coffer keyring CLI.
@main
struct CofferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "Encrypted credential and secret vault: AES-256-GCM envelope encryption per workspace.",
        discussion: """
            Secret values are read from standard input or a file, never from arguments.

            The key-encryption key (KEK) comes from --kek or COFFER_KEK:
              file:PATH         32 raw bytes or base64 in a file only you can read (chmod 600)
              env:VAR           base64 of 32 bytes in environment variable VAR
              passphrase[:PATH] Argon2id from COFFER_PASSPHRASE or a prompt; salt and
                                parameters kept in PATH (default ~/.coffer/passphrase-kek.json)

            The store comes from --store or COFFER_STORE: a SQLite file (default
            ~/.coffer/vault.db) or postgres://USER@HOST:PORT/DB?schema=S (application role;
            password from the URL or PGPASSWORD). Operator commands on PostgreSQL also need
            --maintenance-store or COFFER_MAINTENANCE_STORE (the maintenance role).

            Examples:
              coffer kek generate ~/.coffer/kek
              printf 'ghp_example' | coffer seal --kek file:keys-example/demo-kek.key \\
                  --workspace acme --name github-token > token.sealed.json
              coffer open --kek file:keys-example/demo-kek.key --in token.sealed.json

            Rotation (see coffer help <command>):
              coffer status [WS]                       census: KEKs, data keys, usage, what needs re-encryption
              coffer rotate WS [--revoke V]            new primary data key; --revoke: rotate, re-encrypt, destroy V
              coffer reencrypt [WS] [--batch N]        move values to the primary data key (resumable)
              coffer retire WS --below N               stop accepting data-key versions below N
              coffer rotate-kek --new-kek URI          re-wrap every data key under a new KEK (resumable)
              coffer policy WS --max-age 90d           automatic rotation by age / --max-encryptions N

            Lifecycle and compliance:
              coffer workspace delete|undelete WS       soft delete (30-day grace) / restore
              coffer workspace shred WS --now --confirm WS   destroy the data keys now; prints a receipt
              coffer purge                             retention job (cron-safe on every instance)
              coffer audit verify | list [--workspace WS] [--since T]
              coffer export WS --format json --plaintext | --to KEY.pub | --passphrase
              coffer import WS [--format json|bundle|fernet]
              coffer keygen --out FILE                 X25519 recipient key pair for bundles

            Exit codes: \(ExitStatus.summary)
            """,
        version: Coffer.version,
        subcommands: [
            Init.self, Workspace.self, Put.self, Get.self, List.self, History.self, Delete.self, Undelete.self,
            Seal.self, Open.self, Inspect.self, KEK.self,
            Status.self, Rotate.self, Retire.self, Reencrypt.self, RotateKEK.self, Policy.self,
            Purge.self, Audit.self, Export.self, Import.self, Keygen.self,
        ]
    )

    /// Entry point: before anything is parsed, read or derived, the process is made
    /// non-dumpable with no core-file limit (``ProcessHardening/disableCoreDumps()``), so a
    /// crash or a signal never writes the KEK, data keys or plaintexts to a core file.
    ///
    /// Then it does what `AsyncParsableCommand.main()` does, except that the parser's error
    /// messages go through ``ParseErrorRedaction``: they never echo a key-like value.
    static func main() async {
        do {
            try ProcessHardening.disableCoreDumps()
        } catch {
            Terminal.printError("coffer: cannot disable core dumps (\(error)); refusing to handle keys")
            Foundation.exit(ExitStatus.software.rawValue)
        }
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                // The parser lays out several lines (error, help, usage); control characters
                // in quoted values are escaped like every other error message.
                let redacted = ParseErrorRedaction.redact(message, arguments: Array(CommandLine.arguments.dropFirst()))
                var text = TerminalText.escaped(redacted, keepingNewlines: true) + "\n"
                _ = text.withUTF8 { Terminal.writeAll(2, UnsafeRawBufferPointer($0)) }
            }
            Foundation.exit(code.rawValue)
        }
    }
}
