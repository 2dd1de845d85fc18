import Foundation
import Testing
@testable import CofferCrypto

/// Any damage to an export bundle is one error, `bundleAuthenticationFailed`, and never a
/// partial payload; only bytes that are not an export bundle at all (magic, version, kind) and
/// a passphrase cost beyond the accepted one are `invalidBundle`. Passphrase bundles use the
/// smallest Argon2id cost.
@Suite("Export bundle tampering")
struct ExportBundleTamperTests {
    static let passphrase = SecretBytes(Array("tamper test passphrase".utf8))

    /// The two kinds of bundle over the same small payload, with an opener for each.
    static func fixtures() throws -> [(name: String, bundle: [UInt8], open: ([UInt8]) throws -> SecretBytes)] {
        let payload = SecretBytes(TestSupport.pattern(24))
        let identity = try X25519KeyPair.generate()
        let x = try ExportBundle.seal(payload, to: identity.publicKey)
        let p = try ExportBundle.seal(payload, passphrase: passphrase, cost: testCost)
        return [
            ("x25519", x, { try ExportBundle.open($0, with: identity) }),
            ("passphrase", p, { try ExportBundle.open($0, passphrase: passphrase) }),
        ]
    }

    /// Bytes 0..<6 are magic, version and kind; changing them is `invalidBundle` (the kind
    /// byte may also name the other known kind, which is a kind mismatch). In a passphrase
    /// bundle, bytes 6..<22 are the Argon2id cost: a cost raised beyond the accepted one is
    /// refused as `invalidBundle` before Argon2id runs, any other change fails to authenticate.
    static func expectedFailure(flipping index: Int, kind: String) -> Set<String> {
        if index < 6 { return ["invalidBundle"] }
        if kind == "passphrase" && index < 22 { return ["invalidBundle", "bundleAuthenticationFailed"] }
        return ["bundleAuthenticationFailed"]
    }

    static func category(_ error: CofferCryptoError?) -> String {
        switch error {
        case .none: return "opened"
        case .bundleAuthenticationFailed?: return "bundleAuthenticationFailed"
        case .invalidBundle?: return "invalidBundle"
        case let other?: return "\(other)"
        }
    }

    @Test("flipping any bit pattern of any byte fails", arguments: [0x01, 0x80, 0xFF] as [UInt8])
    func flipEveryByte(_ mask: UInt8) throws {
        for f in try Self.fixtures() {
            #expect(try f.open(f.bundle).count == 24, "\(f.name) opens untouched")
            for i in f.bundle.indices {
                var damaged = f.bundle
                damaged[i] ^= mask
                let got = Self.category(TestSupport.cofferError { _ = try f.open(damaged) })
                #expect(Self.expectedFailure(flipping: i, kind: f.name).contains(got), "\(f.name): byte \(i) ^ \(mask) gave \(got)")
            }
        }
    }

    @Test("flipping a byte of the magic, version or kind is invalidBundle with a clear message")
    func headerBytes() throws {
        for f in try Self.fixtures() {
            for i in 0..<5 {
                var damaged = f.bundle
                damaged[i] ^= 0x01
                guard case .invalidBundle(let why) = TestSupport.cofferError({ _ = try f.open(damaged) }) else {
                    Issue.record("\(f.name): byte \(i) not invalidBundle")
                    continue
                }
                #expect(why.contains(i < 4 ? "not a Coffer export bundle" : "format version"))
                #expect(TestSupport.cofferError { _ = try ExportBundle.recipientKind(of: damaged) } != nil)
            }
            var unknownKind = f.bundle
            unknownKind[5] = 9
            #expect(Self.category(TestSupport.cofferError { _ = try f.open(unknownKind) }) == "invalidBundle")
            #expect(TestSupport.cofferError { _ = try ExportBundle.recipientKind(of: unknownKind) }?
                .description.contains("unknown export bundle kind 9") == true)
        }
    }

    @Test("truncation at every length fails; an extension fails")
    func truncateAndExtend() throws {
        for f in try Self.fixtures() {
            for length in 0..<f.bundle.count {
                let cut = Array(f.bundle[..<length])
                let got = Self.category(TestSupport.cofferError { _ = try f.open(cut) })
                // An empty input is not a bundle at all; every other prefix is a damaged bundle.
                #expect(got == (length == 0 ? "invalidBundle" : "bundleAuthenticationFailed"), "\(f.name): length \(length) gave \(got)")
                if length > 0 {
                    let kind = Self.category(TestSupport.cofferError { _ = try ExportBundle.recipientKind(of: cut) })
                    let header = f.name == "x25519" ? ExportBundleHeader.x25519Count : ExportBundleHeader.passphraseCount
                    if length < header + CiphertextHeader.overhead {
                        #expect(kind == "bundleAuthenticationFailed", "\(f.name): kind of length \(length)")
                    }
                }
            }
            for extra in [[UInt8(0)], [0xFF, 0xFF], TestSupport.pattern(16)] {
                #expect(TestSupport.cofferError { _ = try f.open(f.bundle + extra) } == .bundleAuthenticationFailed, "\(f.name)")
            }
        }
    }

    @Test("garbage and foreign formats are invalidBundle")
    func garbage() throws {
        let identity = try X25519KeyPair.generate()
        let inputs: [[UInt8]] = [
            [], Array("{\"format\":\"coffer-export\"}".utf8), [0x01, 0x01, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 64),
            Array("gAAAAABh".utf8), [UInt8](repeating: 0, count: 200),
        ]
        for input in inputs {
            for result in [
                TestSupport.cofferError { _ = try ExportBundle.open(input, with: identity) },
                TestSupport.cofferError { _ = try ExportBundle.open(input, passphrase: Self.passphrase) },
                TestSupport.cofferError { _ = try ExportBundle.recipientKind(of: input) },
            ] {
                #expect(Self.category(result) == "invalidBundle", "\(input.prefix(8))")
            }
        }
    }

    @Test("a header part moved between bundles fails")
    func spliced() throws {
        let identity = try X25519KeyPair.generate()
        let a = try ExportBundle.seal(SecretBytes(TestSupport.pattern(40)), to: identity.publicKey)
        let b = try ExportBundle.seal(SecretBytes(TestSupport.pattern(40, seed: 1)), to: identity.publicKey)
        let h = ExportBundleHeader.x25519Count
        // a's header (its content key) with b's payload, and the other way round.
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(Array(a[..<h]) + Array(b[h...]), with: identity) } == .bundleAuthenticationFailed)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(Array(b[..<h]) + Array(a[h...]), with: identity) } == .bundleAuthenticationFailed)

        let p = try ExportBundle.seal(SecretBytes(TestSupport.pattern(40)), passphrase: Self.passphrase, cost: testCost)
        let q = try ExportBundle.seal(SecretBytes(TestSupport.pattern(40, seed: 1)), passphrase: Self.passphrase, cost: testCost)
        let w = ExportBundleHeader.passphraseWrapOffset, ph = ExportBundleHeader.passphraseCount
        // p's salt and cost with q's wrapped key; p's header with q's payload.
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(Array(p[..<w]) + Array(q[w...]), passphrase: Self.passphrase) }
            == .bundleAuthenticationFailed)
        #expect(TestSupport.cofferError { _ = try ExportBundle.open(Array(p[..<ph]) + Array(q[ph...]), passphrase: Self.passphrase) }
            == .bundleAuthenticationFailed)
    }

    @Test("a passphrase bundle asking for an excessive Argon2id cost is refused without running it")
    func excessiveCost() throws {
        let p = try ExportBundle.seal(SecretBytes(TestSupport.pattern(8)), passphrase: Self.passphrase, cost: testCost)
        var ops = p
        ops.replaceSubrange(6..<14, with: [0, 0, 0, 0, 0, 0, 0, 33])
        var mem = p
        mem.replaceSubrange(14..<22, with: [0, 0, 0, 1, 0, 0, 0, 0])  // 4 GiB
        for damaged in [ops, mem] {
            guard case .invalidBundle(let why) = TestSupport.cofferError({ _ = try ExportBundle.open(damaged, passphrase: Self.passphrase) }) else {
                Issue.record("an excessive cost was not refused as an invalid bundle")
                continue
            }
            #expect(why.contains("Argon2id"))
            #expect(try ExportBundle.recipientKind(of: damaged) == .passphrase)
        }
    }
}
