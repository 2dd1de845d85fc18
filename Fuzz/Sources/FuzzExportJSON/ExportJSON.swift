import Coffer
import CofferCrypto
import Foundation
import FuzzSupport

/// Plaintext workspace exports (`coffer export --plaintext`, `coffer import`) through
/// `WorkspaceExport(json:)` and `jsonBytes()`.
///
/// Invariants: parsing throws only `VaultError.invalidImport`; an export that parses
/// re-serialises, and parsing that gives the same export (every field; times to the
/// microsecond, see ``sameTime(_:_:)``).
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
            let again = try WorkspaceExport(json: first)
            Fuzz.require(again.workspace == export.workspace && again.format == export.format, "the workspace changed")
            Fuzz.require(sameTime(again.exportedAt, export.exportedAt), "exportedAt changed: \(export.exportedAt) -> \(again.exportedAt)")
            Fuzz.require(again.secrets.count == export.secrets.count, "the number of secrets changed")
            for (a, b) in zip(export.secrets, again.secrets) {
                Fuzz.require(a.name == b.name && a.version == b.version && a.value == b.value, "a secret's name, version or value changed")
                Fuzz.require(a.metadata.kind == b.metadata.kind && a.metadata.contentType == b.metadata.contentType
                             && a.metadata.labels == b.metadata.labels, "a secret's metadata changed")
                Fuzz.require(sameTime(a.createdAt, b.createdAt), "createdAt changed: \(a.createdAt) -> \(b.createdAt)")
                Fuzz.require(a.metadata.expiresAt.map { e in b.metadata.expiresAt.map { sameTime(e, $0) } ?? false }
                             ?? (b.metadata.expiresAt == nil), "expiresAt changed")
            }
        } catch {
            Fuzz.require(false, "a parsed export does not round-trip: \(error)")
        }
    }

    /// Times survive an export → import cycle to the microsecond the format writes. A `Date`
    /// (a Double of seconds) holds every microsecond only up to 2^32 s (year 2106); later
    /// instants may move by the Double's resolution (at most 2 µs before 9999-12-31).
    static func sameTime(_ a: Date, _ b: Date) -> Bool {
        let t = a.timeIntervalSince1970
        if a == b { return true }
        return abs(t) >= 4_294_967_296 && abs(t - b.timeIntervalSince1970) <= 2e-6
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
