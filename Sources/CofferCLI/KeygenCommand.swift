import ArgumentParser
import CofferCrypto
import Foundation

extension CofferCommand {
    /// `coffer keygen --out FILE`: an X25519 recipient key pair for export bundles.
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an X25519 key pair to receive encrypted export bundles.",
            discussion: """
                Writes the secret key to --out (created 0600, never overwritten) and the public key to
                --out.pub, and prints the public key. Give the public key to whoever exports for you:
                  coffer keygen --out ~/.coffer/recipient.key
                  coffer export acme --to recipient.key.pub --out acme.bundle      (on the source)
                  coffer import acme --format bundle --identity ~/.coffer/recipient.key --file acme.bundle
                """)
        @Option(name: .long, help: ArgumentHelp("Secret key file to create (the public key goes to FILE.pub).", valueName: "path"))
        var out: String

        func run() async throws {
            try await Self.reportingFailures {
                // Both destinations are checked before anything is written: no half key pair.
                var st = stat()
                if lstat(out, &st) == 0 {
                    throw CLIFailure(status: .invalidInput, message: "\(out) already exists; choose another path (keys are never overwritten)")
                }
                let publicFile = try OutputFile.claim(out + ".pub", replace: false, forceFlag: nil)
                let pair = try X25519KeyPair.generate()
                try pair.write(secretKeyTo: out)
                let publicText = pair.publicKey.text + "\n"
                do {
                    try Array(publicText.utf8).withUnsafeBytes { try publicFile.commit($0) }
                } catch {
                    unlink(out)  // no half key pair
                    throw error
                }
                chmod(out + ".pub", 0o644)
                try Array(publicText.utf8).withUnsafeBytes { try Terminal.writeStdout($0) }
                Terminal.printError("wrote secret key \(out) (0600) and public key \(out).pub (fingerprint \(pair.publicKey.fingerprint))")
            }
        }
    }
}
