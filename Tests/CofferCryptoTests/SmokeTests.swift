import Testing
@testable import CofferCrypto

@Suite struct SmokeTests {
    @Test func roundTrip() throws {
        let key = try EnvelopeKey(SymmetricKey.generate(), id: 7)
        let ctx = EnvelopeContext.secret(workspace: "acme", name: "tok", version: 1)
        let sealed = try key.seal(Array("hello".utf8), context: ctx)
        #expect(sealed.count == 5 + CiphertextHeader.overhead)
        let back = try key.open(sealed, context: ctx)
        #expect(back.unprotectedArray() == Array("hello".utf8))
    }
}
