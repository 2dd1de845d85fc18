import Testing
@testable import CofferCrypto

/// `==` on secret containers compares contents (in constant time), never identity.
@Suite("Equality semantics")
struct EqualitySemanticsTests {
    static func secure(_ b: [UInt8]) -> SecureBytes { b.withUnsafeBytes { SecureBytes(copying: $0) } }

    static let base = TestSupport.pattern(40, seed: 2)

    /// Variants of `base` that must compare unequal to it.
    static var different: [[UInt8]] {
        var first = base; first[0] ^= 1
        var last = base; last[39] ^= 0x80
        var middle = base; middle[20] ^= 0x10
        return [first, last, middle, Array(base.dropLast()), base + [0], [], Array(base.prefix(1))]
    }

    @Test("SecureBytes")
    func secureBytes() {
        #expect(Self.secure(Self.base) == Self.secure(Self.base))  // distinct allocations, same bytes
        #expect(Self.secure([]) == Self.secure([]))
        for d in Self.different {
            #expect(Self.secure(Self.base) != Self.secure(d), "length \(d.count)")
        }
        let r = SecureBytes.random(count: 32)
        #expect(r == r)
        #expect(r.count == 32)
        #expect(SecureBytes.random(count: 32) != SecureBytes.random(count: 32))
        #expect(r.withUnsafeBytes { Array($0) } != [UInt8](repeating: 0, count: 32))
    }

    @Test("SecretBytes")
    func secretBytes() {
        #expect(SecretBytes(Self.base) == SecretBytes(Self.base))
        #expect(SecretBytes([]) == SecretBytes([]))
        for d in Self.different {
            #expect(SecretBytes(Self.base) != SecretBytes(d), "length \(d.count)")
        }
        let copy = SecretBytes(Self.base)
        let alias = copy
        #expect(alias == copy)
        #expect(copy.unprotectedArray() == Self.base)
        #expect(Self.base.withUnsafeBytes { SecretBytes(copying: $0) } == copy)
    }

    @Test("SymmetricKey")
    func symmetricKey() throws {
        let k = TestSupport.pattern(32, seed: 11)
        #expect(try TestSupport.key(k) == TestSupport.key(k))
        for i in [0, 15, 31] {
            var other = k; other[i] ^= 1
            #expect(try TestSupport.key(k) != TestSupport.key(other), "byte \(i)")
        }
        let g = SymmetricKey.generate()
        #expect(g == g)
    }

    @Test("CofferCryptoError and EnvelopeContext")
    func valueTypes() {
        #expect(CofferCryptoError.authenticationFailed == .authenticationFailed)
        #expect(CofferCryptoError.malformedHeader("a") != .malformedHeader("b"))
        #expect(CofferCryptoError.authenticationFailed != .malformedHeader(""))
        #expect(CofferCryptoError.messageTooLarge(limit: 1) != .messageTooLarge(limit: 2))
        let c = EnvelopeContext.secret(workspace: "w", name: "n", version: 1)
        #expect(c == EnvelopeContext(purpose: .secretValue, workspace: "w", name: "n", version: 1))
        #expect(c != EnvelopeContext.dataKey(workspace: "w", dataKeyVersion: 1))
        #expect(EnvelopeContext.dataKey(workspace: "w", dataKeyVersion: 1).name == "")
        #expect(Set([c, c, EnvelopeContext.secret(workspace: "w", name: "n", version: 2)]).count == 2)
    }
}
