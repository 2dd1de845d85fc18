import ArgumentParser
import Coffer

extension CofferCommand {
    /// `coffer kek`: key-encryption-key chores.
    struct KEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kek",
            abstract: "Create a KEK file or show the fingerprint of the configured KEK.",
            subcommands: [Generate.self, ID.self])

        struct Generate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a new random 256-bit KEK (base64) to PATH, created 0600; never overwrites.",
                discussion: "Example:\n  coffer kek generate ~/.coffer/kek && export COFFER_KEK=file:$HOME/.coffer/kek")

            @Argument(help: "Where to create the key file.")
            var path: String

            func run() async throws {
                try await Self.reportingFailures {
                    try FileKEKProvider.generateKeyFile(at: path)
                    Terminal.printError("created \(path) (mode 0600). Keep a backup: data sealed under it cannot be opened without it.")
                }
            }
        }

        struct ID: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "id",
                abstract: "Print the non-secret fingerprint of the configured KEK.")

            @OptionGroup var global: GlobalOptions

            func run() async throws {
                try await Self.reportingFailures {
                    let provider = try global.kekProvider(logger: global.makeLogger())
                    let id = try await provider.keyID()
                    var line = "\(id)\n"
                    try line.withUTF8 { try Terminal.writeStdout(UnsafeRawBufferPointer($0)) }
                }
            }
        }
    }
}
