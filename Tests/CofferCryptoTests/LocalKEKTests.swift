import Foundation
import Testing
@testable import CofferCrypto

@Suite struct LocalKEKTests {
    @Test func roundTrip() async throws {
        try await expectRoundTrip(LocalKEK(SymmetricKey.generate()))
    }

    @Test func fingerprintIsStableAndKeyDependent() throws {
        let key = SymmetricKey.generate()
        let a = try LocalKEK(key)
        let b = try LocalKEK(rawBytes(of: key).withUnsafeBytes { try SymmetricKey(copying: $0) })
        #expect(a.id == b.id)
        #expect(a.id != (try LocalKEK(SymmetricKey.generate())).id)
        #expect(a.id.description.hasPrefix("kek-"))
        #expect(a.id.description.count == 4 + 32)
        #expect(try KEKIdentifier(parsing: a.id.description) == a.id)
    }

    /// Fingerprint of an all-zero KEK, checked against BLAKE2b-128 keyed with 32 zero bytes
    /// over "coffer/kek-id/v1" as computed by Python's hashlib (an independent BLAKE2b):
    /// `hashlib.blake2b(b"coffer/kek-id/v1", key=bytes(32), digest_size=16).hexdigest()`.
    @Test func fingerprintMatchesIndependentBLAKE2b() throws {
        let zero = try [UInt8](repeating: 0, count: 32).withUnsafeBytes { try SymmetricKey(copying: $0) }
        #expect(try LocalKEK.fingerprint(of: zero).description == "kek-a91de385bc834e6686100c45043d61e5")
    }

    @Test func headerKeyIDIsFirstFourBytesBigEndian() throws {
        let id = try KEKIdentifier(bytes: [0x12, 0x34, 0x56, 0x78] + [UInt8](repeating: 0xab, count: 12))
        #expect(id.headerKeyID == 0x1234_5678)
        #expect(id.description == "kek-12345678" + String(repeating: "ab", count: 12))
    }

    @Test func identifierCodableAsString() throws {
        let id = try LocalKEK(SymmetricKey.generate()).id
        let wrapped = WrappedDataKey(kekID: id, ciphertext: [1, 2, 3])
        let json = try JSONEncoder().encode(wrapped)
        #expect(String(decoding: json, as: UTF8.self).contains("\"\(id.description)\""))
        #expect(try JSONDecoder().decode(WrappedDataKey.self, from: json) == wrapped)
        #expect(throws: (any Error).self) { try KEKIdentifier(parsing: "kek-zz") }
        #expect(throws: (any Error).self) { try KEKIdentifier(parsing: "abc-" + String(repeating: "0", count: 32)) }
    }

    @Test func boundToWorkspaceAndVersion() throws {
        let kek = try LocalKEK(SymmetricKey.generate())
        let wrapped = try kek.wrap(SymmetricKey.generate(), workspace: "acme", dataKeyVersion: 1)
        #expect(throws: CofferCryptoError.authenticationFailed) {
            try kek.unwrap(wrapped, workspace: "other", dataKeyVersion: 1)
        }
        #expect(throws: CofferCryptoError.authenticationFailed) {
            try kek.unwrap(wrapped, workspace: "acme", dataKeyVersion: 2)
        }
        _ = try kek.unwrap(wrapped, workspace: "acme", dataKeyVersion: 1)
    }

    @Test func wrongKEKFails() throws {
        let kek = try LocalKEK(SymmetricKey.generate())
        let other = try LocalKEK(SymmetricKey.generate())
        let wrapped = try kek.wrap(SymmetricKey.generate(), workspace: "acme", dataKeyVersion: 1)
        // Different kekID.
        #expect(throws: CofferCryptoError.authenticationFailed) {
            try other.unwrap(wrapped, workspace: "acme", dataKeyVersion: 1)
        }
        // Same claimed kekID but the wrong key: the tag check must still fail.
        let forged = WrappedDataKey(kekID: other.id, ciphertext: wrapped.ciphertext)
        #expect(throws: CofferCryptoError.authenticationFailed) {
            try other.unwrap(forged, workspace: "acme", dataKeyVersion: 1)
        }
        // kekID mismatch with the right key.
        var relabelled = wrapped
        relabelled.kekID = other.id
        #expect(throws: CofferCryptoError.authenticationFailed) {
            try kek.unwrap(relabelled, workspace: "acme", dataKeyVersion: 1)
        }
    }

    @Test func tamperingAndTruncationFail() throws {
        let kek = try LocalKEK(SymmetricKey.generate())
        let wrapped = try kek.wrap(SymmetricKey.generate(), workspace: "acme", dataKeyVersion: 1)
        for i in CiphertextHeader.byteCount..<wrapped.ciphertext.count {
            var t = wrapped
            t.ciphertext[i] ^= 0x01
            #expect(throws: CofferCryptoError.authenticationFailed) { try kek.unwrap(t, workspace: "acme", dataKeyVersion: 1) }
        }
        var short = wrapped
        short.ciphertext.removeLast()
        #expect(throws: CofferCryptoError.authenticationFailed) { try kek.unwrap(short, workspace: "acme", dataKeyVersion: 1) }
    }

    @Test func descriptionsHideKeys() throws {
        let key = SymmetricKey.generate()
        let kek = try LocalKEK(key, displayName: "file:/x")
        let text = "\(kek) \(String(reflecting: kek))"
        #expect(!text.contains(base64(of: key)))
        #expect(text.contains("file:/x"))
    }
}
