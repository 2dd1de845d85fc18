import Foundation
import Testing
@testable import CofferCrypto

/// Project Wycheproof AES-GCM vectors (Tests/Vectors/aes_gcm_test.json) against both raw
/// backends. Coffer only uses 256-bit keys, 96-bit nonces and 128-bit tags, and the raw
/// backends accept nothing else, so the other groups are counted as skipped.
@Suite("Wycheproof AES-GCM")
struct WycheproofGCMTests {
    struct File: Decodable {
        let algorithm: String
        let numberOfTests: Int
        let testGroups: [Group]
    }
    struct Group: Decodable {
        let keySize: Int
        let ivSize: Int
        let tagSize: Int
        let tests: [Case]
    }
    struct Case: Decodable {
        let tcId: Int
        let comment: String
        let key: String
        let iv: String
        let aad: String
        let msg: String
        let ct: String
        let tag: String
        let result: String
    }

    /// 66 cases in the file have the parameters Coffer uses (39 valid, 27 invalid).
    static let minimumApplicable = 60

    static func load() throws -> File {
        let data = try Data(contentsOf: TestSupport.vectorURL("aes_gcm_test.json"))
        return try JSONDecoder().decode(File.self, from: data)
    }

    @Test("file parses and has the expected shape")
    func fileShape() throws {
        let file = try Self.load()
        #expect(file.algorithm == "AES-GCM")
        #expect(file.testGroups.reduce(0) { $0 + $1.tests.count } == file.numberOfTests)
    }

    @Test("256-bit key, 96-bit IV, 128-bit tag vectors", arguments: RawGCM.allCases)
    func vectors(backend: RawGCM) throws {
        let file = try Self.load()
        var ran = 0, ranValid = 0, ranInvalid = 0, skipped = 0
        for group in file.testGroups {
            guard group.keySize == 256, group.ivSize == 96, group.tagSize == 128 else {
                skipped += group.tests.count
                continue
            }
            for tc in group.tests {
                let key = try [UInt8](hex: tc.key), iv = try [UInt8](hex: tc.iv)
                let aad = try [UInt8](hex: tc.aad), msg = try [UInt8](hex: tc.msg)
                let ct = try [UInt8](hex: tc.ct), tag = try [UInt8](hex: tc.tag)
                // Group parameters must describe the case; otherwise the filter is wrong.
                #expect(key.count == 32 && iv.count == 12 && tag.count == 16, "tcId \(tc.tcId)")
                guard key.count == 32, iv.count == 12, tag.count == 16 else { continue }
                ran += 1
                switch tc.result {
                case "valid", "acceptable":
                    ranValid += 1
                    let sealed = try backend.seal(key: key, nonce: iv, aad: aad, plaintext: msg)
                    #expect(sealed.ct == ct, "tcId \(tc.tcId): ciphertext")
                    #expect(sealed.tag == tag, "tcId \(tc.tcId): tag")
                    let opened = try backend.open(key: key, nonce: iv, aad: aad, ciphertext: ct, tag: tag)
                    #expect(opened == msg, "tcId \(tc.tcId): open")
                case "invalid":
                    ranInvalid += 1
                    let opened = try backend.open(key: key, nonce: iv, aad: aad, ciphertext: ct, tag: tag)
                    #expect(opened == nil, "tcId \(tc.tcId) (\(tc.comment)) must not open")
                default:
                    Issue.record("tcId \(tc.tcId): unknown result \(tc.result)")
                }
            }
        }
        #expect(ran >= Self.minimumApplicable, "only \(ran) applicable cases ran")
        #expect(ranValid > 0 && ranInvalid > 0)
        #expect(ran + skipped == file.numberOfTests)
    }
}
