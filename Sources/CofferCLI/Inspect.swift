import ArgumentParser
import Coffer
import CofferInput
import Foundation

extension CofferCommand {
    /// `coffer inspect`: shows the public, non-secret parts of a sealed-file document.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the public header fields of a sealed-file document (no key needed).")

        @Option(name: .long, help: "Read the document from this file instead of stdin.")
        var `in`: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await Self.reportingFailures {
                let document = try SealedFile.decode(from: Data(Terminal.readDocument(file: `in`, limit: Open.maxDocumentBytes)))
                guard let sealed = Data(base64Encoded: document.ciphertext),
                      let wrapped = Data(base64Encoded: document.wrappedDataKey) else {
                    throw CLIFailure(status: .invalidInput, message: "document fields are not valid base64")
                }
                let valueHeader = try CiphertextHeader(parsing: Array(sealed))
                let keyHeader = try CiphertextHeader(parsing: Array(wrapped))
                let info: [(String, String)] = [
                    ("workspace", document.workspace),
                    ("name", document.name),
                    ("secretVersion", "\(document.secretVersion)"),
                    ("dataKeyVersion", "\(document.dataKeyVersion)"),
                    ("kekID", "\(document.kekID)"),
                    ("formatVersion", "\(valueHeader.formatVersion)"),
                    ("algorithm", valueHeader.algorithm == CiphertextHeader.aes256GCM ? "AES-256-GCM" : "\(valueHeader.algorithm)"),
                    ("valueKeyID", "\(valueHeader.keyID)"),
                    ("wrappedKeyKEKHeaderID", hex8(keyHeader.keyID)),
                    ("sealedValueBytes", "\(sealed.count)"),
                    ("plaintextBytes", "\(max(0, sealed.count - CiphertextHeader.overhead))"),
                ]
                var text: String
                if json {
                    let object = Dictionary(uniqueKeysWithValues: info)
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
                    text = String(decoding: data, as: UTF8.self) + "\n"
                } else {
                    text = info.map { "\($0.0): \(TerminalText.escaped($0.1))" }.joined(separator: "\n") + "\n"
                }
                try text.withUTF8 { try Terminal.writeStdout(UnsafeRawBufferPointer($0)) }
            }
        }
    }
}

/// `keyID` as 8 lowercase hex digits.
private func hex8(_ keyID: UInt32) -> String {
    let digits = String(keyID, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
