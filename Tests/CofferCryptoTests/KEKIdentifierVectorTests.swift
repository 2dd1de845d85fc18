import Foundation
import Testing
@testable import CofferCrypto

/// The KEK fingerprint of docs/FORMAT.md §4, checked against the `kek_ids` vectors that
/// `scripts/format_vectors.py` computes from the document alone (Python's hashlib BLAKE2b).
@Suite struct KEKIdentifierVectorTests {
    struct File: Decodable {
        struct KEKID: Decodable {
            let name: String
            let kek: String
            let kek_id: String
            let header_key_id: UInt32
        }
        let kek_ids: [KEKID]
    }

    @Test func fingerprintsMatchThePublishedVectors() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: TestSupport.fixtureURL("format-v1-vectors.json")))
        #expect(file.kek_ids.count >= 3)
        for v in file.kek_ids {
            let key = try TestSupport.key([UInt8](hex: v.kek))
            let id = try LocalKEK.fingerprint(of: key)
            #expect(id.description == v.kek_id, "\(v.name)")
            #expect(id.headerKeyID == v.header_key_id, "\(v.name)")
            #expect(try KEKIdentifier(parsing: v.kek_id) == id, "\(v.name)")
            // The header of a data key wrapped under this KEK carries the header key id.
            let wrapped = try LocalKEK(key).wrap(SymmetricKey.generate(), workspace: "acme#00", dataKeyVersion: 1)
            #expect(try CiphertextHeader(parsing: wrapped.ciphertext).keyID == v.header_key_id, "\(v.name)")
        }
    }
}
