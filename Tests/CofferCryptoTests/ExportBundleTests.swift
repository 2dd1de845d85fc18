import Foundation
import Testing
@testable import CofferCrypto

/// ExportBundle round trips, recipient separation, kind detection and the header layout.
/// Passphrase bundles use the smallest Argon2id cost (`testCost`: 1 pass over 8 KiB).
@Suite("Export bundles")
struct ExportBundleTests {
    static let passphrase = SecretBytes(Array("correct horse battery staple".utf8))

    static func payload(_ count: Int) -> SecretBytes {
        SecretBytes((0..<count).map { _ in UInt8.random(in: 0...255) })
    }

    @Test("X25519 bundles round trip", arguments: [0, 1, 31, 32, 33, 1000, 1 << 20])
    func x25519RoundTrip(_ size: Int) throws {
        let identity = try X25519KeyPair.generate()
        let payload = Self.payload(size)
        let bundle = try ExportBundle.seal(payload, to: identity.publicKey)
        #expect(bundle.count == ExportBundleHeader.x25519Count + size + CiphertextHeader.overhead)
        let opened = try ExportBundle.open(bundle, with: identity)
        #expect(opened == payload)
        // A second seal of the same payload differs everywhere after the fingerprint.
        let again = try ExportBundle.seal(payload, to: identity.publicKey)
        #expect(again != bundle)
    }

    @Test("passphrase bundles round trip", arguments: [0, 1, 33, 1 << 20])
    func passphraseRoundTrip(_ size: Int) throws {
        let payload = Self.payload(size)
        let bundle = try ExportBundle.seal(payload, passphrase: Self.passphrase, cost: testCost)
        #expect(bundle.count == ExportBundleHeader.passphraseCount + size + CiphertextHeader.overhead)
        #expect(try ExportBundle.open(bundle, passphrase: Self.passphrase) == payload)
    }

    @Test("the passphrase header records the cost and a fresh salt")
    func passphraseHeader() throws {
        let cost = PassphraseKEKProvider.Cost(opsLimit: 2, memLimitBytes: 16384)
        let a = try ExportBundle.seal(Self.payload(3), passphrase: Self.passphrase, cost: cost)
        let b = try ExportBundle.seal(Self.payload(3), passphrase: Self.passphrase, cost: cost)
        #expect(Array(a[0..<6]) == Array("CFXB".utf8) + [1, 2])
        #expect(Array(a[6..<14]) == [0, 0, 0, 0, 0, 0, 0, 2])
        #expect(Array(a[14..<22]) == [0, 0, 0, 0, 0, 0, 0x40, 0])
        #expect(Array(a[22..<38]) != Array(b[22..<38]))  // salt
        // The wrapped content key is a Coffer v1 ciphertext with key id 0, and so is the payload.
        #expect(Array(a[38..<44]) == [1, 1, 0, 0, 0, 0])
        #expect(Array(a[104..<110]) == [1, 1, 0, 0, 0, 0])
        #expect(try ExportBundle.open(a, passphrase: Self.passphrase).count == 3)
    }

    @Test("the X25519 header carries the recipient's fingerprint")
    func x25519Header() throws {
        let identity = try X25519KeyPair.generate()
        let bundle = try ExportBundle.seal(Self.payload(5), to: identity.publicKey)
        #expect(Array(bundle[0..<6]) == Array("CFXB".utf8) + [1, 1])
        #expect(Array(bundle[6..<14]).hex == identity.publicKey.fingerprint)
        #expect(Array(bundle[94..<100]) == [1, 1, 0, 0, 0, 0])
    }

    @Test("recipientKind reads the header without any key")
    func recipientKind() throws {
        let identity = try X25519KeyPair.generate()
        let x = try ExportBundle.seal(Self.payload(10), to: identity.publicKey)
        let p = try ExportBundle.seal(Self.payload(10), passphrase: Self.passphrase, cost: testCost)
        #expect(try ExportBundle.recipientKind(of: x) == .x25519(fingerprint: identity.publicKey.fingerprint))
        #expect(try ExportBundle.recipientKind(of: p) == .passphrase)
        #expect(ExportBundle.Kind.passphrase.description == "passphrase")
        #expect(try ExportBundle.recipientKind(of: x).description.contains(identity.publicKey.fingerprint))
    }

    @Test("a bundle for one recipient does not open with another")
    func otherRecipient() throws {
        let alice = try X25519KeyPair.generate()
        let bob = try X25519KeyPair.generate()
        let bundle = try ExportBundle.seal(Self.payload(100), to: alice.publicKey)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(bundle, with: bob) } == .bundleAuthenticationFailed)
        // Even with the fingerprint rewritten to Bob's, the sealed key and the header binding fail.
        var forged = bundle
        forged.replaceSubrange(6..<14, with: try [UInt8](hex: bob.publicKey.fingerprint))
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(forged, with: bob) } == .bundleAuthenticationFailed)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(forged, with: alice) } == .bundleAuthenticationFailed)
        #expect(try ExportBundle.open(bundle, with: alice).count == 100)
    }

    @Test("a wrong passphrase fails with bundleAuthenticationFailed", arguments: [
        "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple", "x",
    ])
    func wrongPassphrase(_ wrong: String) throws {
        let bundle = try ExportBundle.seal(Self.payload(64), passphrase: Self.passphrase, cost: testCost)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(bundle, passphrase: SecretBytes(Array(wrong.utf8))) }
            == .bundleAuthenticationFailed)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(bundle, passphrase: SecretBytes([])) } == .bundleAuthenticationFailed)
    }

    @Test("opening with the other kind of secret says which kind the bundle is")
    func kindMismatch() throws {
        let identity = try X25519KeyPair.generate()
        let x = try ExportBundle.seal(Self.payload(10), to: identity.publicKey)
        let p = try ExportBundle.seal(Self.payload(10), passphrase: Self.passphrase, cost: testCost)
        guard case .invalidBundle(let a) = TestSupport.cofferError({ _ = try ExportBundle.open(x, passphrase: Self.passphrase) }),
              case .invalidBundle(let b) = TestSupport.cofferError({ _ = try ExportBundle.open(p, with: identity) })
        else {
            Issue.record("expected invalidBundle for a kind mismatch")
            return
        }
        #expect(a.contains("X25519"))
        #expect(a.contains(identity.publicKey.fingerprint))
        #expect(b.contains("passphrase"))
    }

    @Test("unusable seal inputs are refused before any work")
    func sealInputs() throws {
        #expect(TestSupport.cofferError { _ = try ExportBundle.seal(Self.payload(1), passphrase: SecretBytes([]), cost: testCost) }
            == .invalidKey("the export passphrase is empty"))
        for cost in [
            PassphraseKEKProvider.Cost(opsLimit: 0, memLimitBytes: 8192),
            PassphraseKEKProvider.Cost(opsLimit: 33, memLimitBytes: 8192),
            PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: 4096),
            PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: (1 << 30) + 1024),
            PassphraseKEKProvider.Cost(opsLimit: 1, memLimitBytes: -1),
        ] {
            guard case .invalidKey(let why) = TestSupport.cofferError({
                _ = try ExportBundle.seal(Self.payload(1), passphrase: Self.passphrase, cost: cost)
            }) else {
                Issue.record("cost \(cost) accepted")
                continue
            }
            #expect(why.contains("Argon2id cost"))
        }
    }

    @Test("the default cost is libsodium MODERATE")
    func defaultCost() {
        #expect(PassphraseKEKProvider.Cost.moderate.opsLimit == 3)
        #expect(PassphraseKEKProvider.Cost.moderate.memLimitBytes == 256 << 20)
        #expect(ExportBundleHeader.costProblem(opsLimit: 3, memLimit: 256 << 20) == nil)
        #expect(ExportBundleHeader.costProblem(opsLimit: 4, memLimit: 1 << 30) == nil)  // SENSITIVE opens too
    }

    @Test("a low-order recipient key is refused")
    func lowOrderRecipient() throws {
        let zero = try X25519PublicKey(bytes: [UInt8](repeating: 0, count: 32))
        guard case .invalidKey(let why) = TestSupport.cofferError({ _ = try ExportBundle.seal(Self.payload(4), to: zero) }) else {
            Issue.record("an all-zero public key was accepted")
            return
        }
        #expect(why.contains("not usable"))
    }
}
