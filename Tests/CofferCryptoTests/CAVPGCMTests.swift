import Foundation
import Testing
@testable import CofferCrypto

/// NIST CAVP AES-256-GCM vectors (Tests/Vectors/gcmEncryptExtIV256.rsp and gcmDecrypt256.rsp,
/// filtered to 96-bit IVs and 128-bit tags; see Tests/Vectors/SOURCES.md) on both backends.
@Suite("NIST CAVP AES-256-GCM")
struct CAVPGCMTests {
    struct Entry {
        var params: [String: Int]
        var fields: [String: String] = [:]
        var fail = false
        func bytes(_ name: String) throws -> [UInt8] {
            guard let v = fields[name] else { throw HexError.invalid("missing field \(name)") }
            return try [UInt8](hex: v)
        }
    }

    /// Parses a CAVP .rsp file (LF or CRLF line endings) into its test entries.
    static func parse(_ name: String) throws -> [Entry] {
        let text = try String(contentsOf: TestSupport.vectorURL(name), encoding: .utf8)
        var params: [String: Int] = [:]
        var entries: [Entry] = []
        var inParams = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") {
                if !inParams { params = [:]; inParams = true }
                let inner = line.dropFirst().dropLast().split(separator: "=", maxSplits: 1)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                if inner.count == 2, let v = Int(inner[1]) { params[inner[0]] = v }
                continue
            }
            inParams = false
            if line == "FAIL" {
                entries[entries.count - 1].fail = true
                continue
            }
            let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw HexError.invalid("unparsable line") }
            if kv[0] == "Count" { entries.append(Entry(params: params)) }
            entries[entries.count - 1].fields[kv[0]] = kv[1]
        }
        return entries
    }

    @Test("encrypt: exact ciphertext and tag", arguments: RawGCM.allCases)
    func encrypt(backend: RawGCM) throws {
        let entries = try Self.parse("gcmEncryptExtIV256.rsp")
        #expect(entries.count == 375)
        var ran = 0
        for e in entries {
            #expect(e.params["Keylen"] == 256 && e.params["IVlen"] == 96 && e.params["Taglen"] == 128)
            let id = "section PT=\(e.params["PTlen"] ?? -1) AAD=\(e.params["AADlen"] ?? -1) Count=\(e.fields["Count"] ?? "?")"
            let key = try e.bytes("Key"), iv = try e.bytes("IV"), pt = try e.bytes("PT")
            let aad = try e.bytes("AAD"), ct = try e.bytes("CT"), tag = try e.bytes("Tag")
            #expect(pt.count * 8 == e.params["PTlen"] && aad.count * 8 == e.params["AADlen"], "\(id)")
            let sealed = try backend.seal(key: key, nonce: iv, aad: aad, plaintext: pt)
            #expect(sealed.ct == ct, "\(id): ciphertext")
            #expect(sealed.tag == tag, "\(id): tag")
            ran += 1
        }
        #expect(ran == 375)
    }

    @Test("decrypt: FAIL entries fail, the others give the exact plaintext", arguments: RawGCM.allCases)
    func decrypt(backend: RawGCM) throws {
        let entries = try Self.parse("gcmDecrypt256.rsp")
        #expect(entries.count == 375)
        var passed = 0, failed = 0
        for e in entries {
            #expect(e.params["Keylen"] == 256 && e.params["IVlen"] == 96 && e.params["Taglen"] == 128)
            let id = "section PT=\(e.params["PTlen"] ?? -1) AAD=\(e.params["AADlen"] ?? -1) Count=\(e.fields["Count"] ?? "?")"
            let key = try e.bytes("Key"), iv = try e.bytes("IV"), aad = try e.bytes("AAD")
            let ct = try e.bytes("CT"), tag = try e.bytes("Tag")
            let opened = try backend.open(key: key, nonce: iv, aad: aad, ciphertext: ct, tag: tag)
            if e.fail {
                failed += 1
                #expect(e.fields["PT"] == nil, "\(id): FAIL entry with a PT")
                #expect(opened == nil, "\(id): must fail")
            } else {
                passed += 1
                let pt = try e.bytes("PT")
                #expect(opened == pt, "\(id): plaintext")
            }
        }
        // Both kinds must actually have been exercised.
        #expect(failed == 191)
        #expect(passed == 184)
    }
}
