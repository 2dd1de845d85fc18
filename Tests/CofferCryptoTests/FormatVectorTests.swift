import Foundation
import Testing
@testable import CofferCrypto

/// The published format v1 vectors (Tests/Fixtures/format-v1-vectors.json, generated from
/// docs/FORMAT.md with Python's `cryptography` by scripts/format_vectors.py) against every backend.
@Suite("Format v1 published vectors")
struct FormatVectorTests {
    struct File: Decodable {
        let format: String
        let vectors: [Vector]
    }
    struct Context: Decodable {
        let purpose: UInt8
        let workspace: String
        let name: String
        let version: UInt32
    }
    struct Vector: Decodable {
        let name: String
        let key: String
        let key_id: UInt32
        let context: Context
        let nonce: String
        let aad: String?
        let plaintext: String
        let ciphertext: String
        let expected: String
    }

    static func load() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: TestSupport.fixtureURL("format-v1-vectors.json")))
    }

    static func envelopeContext(_ c: Context) throws -> EnvelopeContext {
        guard let purpose = EnvelopeContext.Purpose(rawValue: c.purpose) else { throw HexError.invalid("purpose") }
        return EnvelopeContext(purpose: purpose, workspace: c.workspace, name: c.name, version: c.version)
    }

    @Test("the file covers what it must")
    func coverage() throws {
        let file = try Self.load()
        #expect(file.format == "coffer-ciphertext-v1")
        let positives = file.vectors.filter { $0.expected == "ok" }
        let negatives = file.vectors.filter { $0.expected != "ok" }
        #expect(positives.count >= 8)
        #expect(negatives.count >= 15)
        #expect(Set(negatives.map(\.expected)) == ["authentication_failed", "malformed_header"])
        #expect(positives.contains { $0.plaintext.isEmpty })
        #expect(positives.contains { $0.context.purpose == 2 && $0.context.name.isEmpty && $0.plaintext.count == 64 })
        #expect(positives.contains { $0.context.version == 0 } && positives.contains { $0.context.version == .max })
        #expect(positives.contains { $0.key_id == 1 } && positives.contains { $0.key_id >= 1 << 31 })
        #expect(positives.contains { !$0.context.workspace.allSatisfy(\.isASCII) && !$0.context.name.allSatisfy(\.isASCII) })
        #expect(Set(file.vectors.map(\.name)).count == file.vectors.count)
    }

    @Test("positive vectors open, and re-seal byte for byte", arguments: EnvelopeKey.Backend.allCases)
    func positives(backend: EnvelopeKey.Backend) throws {
        var checked = 0
        for v in try Self.load().vectors where v.expected == "ok" {
            let key = try EnvelopeKey(TestSupport.key([UInt8](hex: v.key)), id: v.key_id, backend: backend)
            let ctx = try Self.envelopeContext(v.context)
            let pt = try [UInt8](hex: v.plaintext), blob = try [UInt8](hex: v.ciphertext), nonce = try [UInt8](hex: v.nonce)
            #expect(try CiphertextHeader(parsing: blob).keyID == v.key_id, "\(v.name)")
            #expect(try key.open(blob, context: ctx).unprotectedArray() == pt, "\(v.name): open")

            var out = [UInt8](repeating: 0, count: pt.count + CiphertextHeader.overhead)
            let n = try pt.withUnsafeBytes { p in
                try nonce.withUnsafeBytes { iv in
                    try out.withUnsafeMutableBytes { o in try key.seal(p, context: ctx, nonce: iv, into: o) }
                }
            }
            #expect(n == blob.count, "\(v.name): length")
            #expect(out == blob, "\(v.name): fixed-nonce seal differs")

            // The AAD recorded in the file is header ‖ encoded context as this library builds it.
            if let aadHex = v.aad {
                var encoded = [UInt8](repeating: 0, count: ctx.encodedCount)
                let written = encoded.withUnsafeMutableBytes { ctx.encode(into: $0.baseAddress!) }
                #expect(written == ctx.encodedCount)
                #expect(Array(blob.prefix(6)) + encoded == (try [UInt8](hex: aadHex)), "\(v.name): aad")
            }
            checked += 1
        }
        #expect(checked >= 8)
    }

    @Test("negative vectors fail with the stated error", arguments: EnvelopeKey.Backend.allCases)
    func negatives(backend: EnvelopeKey.Backend) throws {
        var checked = 0
        for v in try Self.load().vectors where v.expected != "ok" {
            let key = try EnvelopeKey(TestSupport.key([UInt8](hex: v.key)), id: v.key_id, backend: backend)
            let ctx = try Self.envelopeContext(v.context)
            let blob = try [UInt8](hex: v.ciphertext)
            let errors = [
                TestSupport.cofferError { _ = try key.open(blob, context: ctx) },
                TestSupport.cofferError {
                    var out = [UInt8](repeating: 0, count: max(blob.count, 1))
                    try blob.withUnsafeBytes { c in try out.withUnsafeMutableBytes { o in _ = try key.open(c, context: ctx, into: o) } }
                },
            ]
            for error in errors {
                switch (v.expected, error) {
                case ("authentication_failed", .authenticationFailed?): break
                case ("malformed_header", .malformedHeader?): break
                default: Issue.record("\(v.name): expected \(v.expected), got \(String(describing: error))")
                }
            }
            checked += 1
        }
        #expect(checked >= 15)
    }
}
