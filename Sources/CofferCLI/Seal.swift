import ArgumentParser
import Coffer
import Foundation

extension CofferCommand {
    /// `coffer seal`: seals a value into a self-contained sealed-file document.
    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal a secret value (from stdin or --file) into a sealed-file JSON document.",
            discussion: """
                A fresh data key is generated, wrapped by the KEK and stored in the document
                next to the value sealed with AES-256-GCM. Workspace, name and version are bound
                into the ciphertext: change any of them and the document no longer opens.

                Example:
                  printf 'ghp_example' | coffer seal --kek file:keys-example/demo-kek.key \\
                      -w acme -n github-token --out token.sealed.json
                """)

        /// Largest value accepted (1 MiB).
        static let maxValueBytes = 1 << 20

        @OptionGroup var global: GlobalOptions
        @OptionGroup var location: SecretLocation

        @Option(name: .long, help: "Read the value from this file instead of stdin.")
        var file: String?

        @Option(name: .long, help: "Write the document to this path (created 0600) instead of stdout.")
        var out: String?

        @Flag(name: .long, help: "Replace --out if it exists (a symbolic link is replaced, never followed).")
        var force = false

        func run() async throws {
            try await Self.reportingFailures {
                let logger = global.makeLogger()
                let value = try Terminal.readSecret(file: file, limit: Self.maxValueBytes)
                let output = try out.map { try OutputFile.claim($0, replace: force, forceFlag: "--force") }
                let kek = try global.kekProvider(logger: logger)
                let document = try await SealedFile.seal(
                    value, workspace: location.workspace, name: location.name,
                    secretVersion: location.version, kek: kek)
                var json = try document.jsonData()
                json.append(0x0A)
                try json.withUnsafeBytes { bytes in
                    try Terminal.writeOutput(bytes, to: output)
                }
                logger.info("sealed value", metadata: [
                    "workspace": "\(location.workspace)", "name": "\(location.name)",
                    "version": "\(location.version)", "bytes": "\(value.count)",
                ])
            }
        }
    }
}
