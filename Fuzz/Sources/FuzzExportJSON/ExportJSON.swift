import Coffer
import CofferCrypto
import Foundation
import FuzzSupport

/// Plaintext workspace exports (`coffer export --plaintext`, `coffer import`) through
/// `WorkspaceExport(json:)` and `jsonBytes()`.
///
/// Invariants: parsing throws only `VaultError.invalidImport`; an export that parses
/// re-serialises, and its serialisation is a fixed point (parse, serialise again: same bytes).
enum ExportJSON {
    static func run(_ input: [UInt8]) {
        let export: WorkspaceExport
        do {
            export = try WorkspaceExport(json: SecretBytes(input))
        } catch VaultError.invalidImport {
            return
        } catch {
            return Fuzz.require(false, "parse threw an undocumented error: \(error)")
        }
        do {
            let first = try export.jsonBytes()
            let second = try WorkspaceExport(json: first).jsonBytes()
            Fuzz.require(first == second, "an export's serialisation is not a fixed point")
        } catch {
            Fuzz.require(false, "a parsed export does not round-trip: \(error)")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        let created = Date(timeIntervalSince1970: 1_767_225_600.123456)
        let full = WorkspaceExport(workspace: "acme", exportedAt: created, secrets: [
            ExportedSecret(name: "db/password", version: 3, metadata: SecretMetadata(), createdAt: created, value: Fuzz.seedPlaintext("text")),
            ExportedSecret(
                name: "blob", version: 1,
                metadata: SecretMetadata(kind: .raw, contentType: "application/octet-stream", labels: ["team": "core", "env": "prod"],
                                         expiresAt: Date(timeIntervalSince1970: 1_800_000_000)),
                createdAt: created, value: SecretBytes([0xFF, 0x00, 0x80, 0x7F])),
            ExportedSecret(
                name: "oauth", version: 2, metadata: SecretMetadata(kind: .oauthToken), createdAt: created,
                value: SecretBytes(Array(#"{"access_token":"a","token_type":"Bearer"}"#.utf8))),
        ])
        let empty = WorkspaceExport(workspace: "w", exportedAt: Date(timeIntervalSince1970: 0), secrets: [])
        return try [full, empty].map { try $0.jsonBytes().withUnsafeBytes { Array($0) } }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: ExportJSON.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ExportJSON.run(Fuzz.bytes(data, size))
    return 0
}
