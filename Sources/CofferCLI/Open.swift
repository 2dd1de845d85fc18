import ArgumentParser
import Coffer

extension CofferCommand {
    /// `coffer open`: opens a sealed-file document and writes the exact value to stdout.
    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a sealed-file document and write the exact value to stdout.",
            discussion: """
                Nothing is added to the value (no newline). Exit code 77 means the KEK is not
                the one the document was sealed with, or the document was altered.

                Example:
                  coffer open --kek file:keys-example/demo-kek.key --in token.sealed.json
                """)

        /// Largest document read (a 1 MiB value in base64 plus JSON).
        static let maxDocumentBytes = 2 << 20

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Read the document from this file instead of stdin.")
        var `in`: String?

        @Option(name: .long, help: "Write the value to this path (created 0600) instead of stdout.")
        var out: String?

        @Flag(name: .long, help: "Replace --out if it exists (a symbolic link is replaced, never followed).")
        var force = false

        func run() async throws {
            try await Self.reportingFailures {
                let logger = global.makeLogger()
                let document = try SealedFile.decode(from: .init(Terminal.readDocument(file: `in`, limit: Self.maxDocumentBytes)))
                let output = try out.map { try OutputFile.claim($0, replace: force, forceFlag: "--force") }
                let kek = try global.kekProvider(logger: logger)
                let value = try await document.open(kek: kek)
                try value.withUnsafeBytes { bytes in
                    try Terminal.writeOutput(bytes, to: output)
                }
            }
        }
    }
}
