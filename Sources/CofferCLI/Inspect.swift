import ArgumentParser
import Coffer
import CofferInput
import CofferCrypto
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
                let valueHeader = try header(of: sealed, field: "ciphertext")
                let keyHeader = try header(of: wrapped, field: "wrappedDataKey")
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

/// The public header of a document field, or a failure that speaks of the document (no key
/// is involved in inspecting): exit 65.
private func header(of bytes: Data, field: String) throws -> CiphertextHeader {
    let why: String
    do {
        if bytes.count >= CiphertextHeader.overhead { return try CiphertextHeader(parsing: Array(bytes)) }
        why = "it is \(bytes.count) bytes long, shorter than the \(CiphertextHeader.overhead) bytes of a Coffer v1 ciphertext's header, nonce and tag"
    } catch CofferCryptoError.malformedHeader(let reason) {
        why = reason
    }
    throw CLIFailure(status: .invalidInput, message: "the document's \(field) is not a Coffer ciphertext: \(why); the document is damaged")
}

/// `keyID` as 8 lowercase hex digits.
private func hex8(_ keyID: UInt32) -> String {
    let digits = String(keyID, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}
