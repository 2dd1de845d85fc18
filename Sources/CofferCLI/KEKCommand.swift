import ArgumentParser
import Coffer
import CofferCrypto
import CofferPKCS11
import Foundation

extension CofferCommand {
    /// `coffer kek`: key-encryption-key chores.
    struct KEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kek",
            abstract: "Create a KEK file or show the fingerprint of the configured KEK.",
            subcommands: [Generate.self, ID.self])

        struct Generate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a new random 256-bit KEK (base64) to PATH, created 0600, or create one in a PKCS#11 token; never overwrites.",
                discussion: """
                    Examples:
                      coffer kek generate ~/.coffer/kek && export COFFER_KEK=file:$HOME/.coffer/kek
                      coffer kek generate --pkcs11 'pkcs11:token=coffer;object=kek-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/coffer/pin'
                    The token key is AES-256, sensitive, not extractable, allowed to encrypt and decrypt only (docs/HSM.md).
                    """)

            @Argument(help: "Where to create the key file.")
            var path: String?

            @Option(name: .customLong("pkcs11"), help: ArgumentHelp("Create the key in the PKCS#11 token named by this pkcs11: URI instead.", valueName: "uri"))
            var pkcs11: String?

            func validate() throws {
                guard (path == nil) != (pkcs11 == nil) else {
                    throw ValidationError("give either a PATH for a key file or --pkcs11 URI, not both and not neither")
                }
            }

            func run() async throws {
                try await Self.reportingFailures {
                    if let pkcs11 {
                        guard case .pkcs11(let uri) = try KEKProviderURI(parsing: pkcs11.hasPrefix("pkcs11:") ? pkcs11 : "pkcs11:" + pkcs11) else {
                            throw CofferCryptoError.kekUnavailable("--pkcs11 needs a pkcs11: URI")
                        }
                        // Checks the pin-value rule before anything touches the token.
                        _ = try PKCS11KEKProvider(uri: uri, allowPINValue: ProcessInfo.processInfo.environment[PKCS11KEKProvider.allowPINValueVariable] == "1")
                        let id = try PKCS11KEKProvider.generateKey(uri: uri)
                        var line = "\(id)\n"
                        try line.withUTF8 { try Terminal.writeStdout(UnsafeRawBufferPointer($0)) }
                        Terminal.printError("created AES-256 key \"\(uri.object)\" in PKCS#11 token \"\(uri.token)\" (sensitive, not extractable); use --kek '\(uri.description)'")
                        return
                    }
                    guard let path else { return }
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
