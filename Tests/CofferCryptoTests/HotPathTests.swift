import Testing
@testable import CofferCrypto

/// Behaviour the tuned seal/open paths must keep: same errors, same bytes, every backend.
@Suite struct HotPathTests {
    let raw = SymmetricKey.generate()
    let ctx = EnvelopeContext.secret(workspace: "acme", name: "github/oauth", version: 1)

    @Test(arguments: EnvelopeKey.Backend.allCases, [0, 1, 64, 256, 1500, 4096, 70_000])
    func roundTripAndTamper(backend: EnvelopeKey.Backend, size: Int) throws {
        let key = try EnvelopeKey(raw, id: 9, backend: backend)
        let pt = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var sealed = try key.seal(pt, context: ctx)
        #expect(sealed.count == size + CiphertextHeader.overhead)
        #expect(Array(sealed[0..<6]) == [1, 1, 0, 0, 0, 9])
        #expect(try key.open(sealed, context: ctx).unprotectedArray() == pt)
        // Every backend opens what any other sealed (same format).
        for other in EnvelopeKey.Backend.allCases {
            let k2 = try EnvelopeKey(raw, id: 9, backend: other)
            #expect(try k2.open(sealed, context: ctx).unprotectedArray() == pt)
        }
        sealed[sealed.count - 1] ^= 1
        #expect(throws: CofferCryptoError.authenticationFailed) { try key.open(sealed, context: ctx) }
        sealed[sealed.count - 1] ^= 1
        var other = ctx
        other.version = 2
        #expect(throws: CofferCryptoError.authenticationFailed) { try key.open(sealed, context: other) }
        other = ctx
        other.name = "github/oauth2"
        #expect(throws: CofferCryptoError.authenticationFailed) { try key.open(sealed, context: other) }
    }

    @Test func headerErrors() throws {
        let key = try EnvelopeKey(raw, id: 9)
        let sealed = try key.seal([1, 2, 3], context: ctx)
        #expect(throws: CofferCryptoError.authenticationFailed) { try key.open([1, 1, 0], context: ctx) }
        #expect(throws: CofferCryptoError.authenticationFailed) { try key.open(Array(sealed.prefix(33)), context: ctx) }
        var v = sealed
        v[0] = 2
        #expect(throws: CofferCryptoError.malformedHeader("unknown format version 2 (this build reads version 1)")) {
            try key.open(v, context: ctx)
        }
        var a = sealed
        a[1] = 7
        #expect(throws: CofferCryptoError.malformedHeader("unknown algorithm id 7")) { try key.open(a, context: ctx) }
        let key10 = try EnvelopeKey(raw, id: 10)
        #expect(throws: CofferCryptoError.authenticationFailed) { try key10.open(sealed, context: ctx) }
    }

    @Test func longContextUsesTheSlowAADPath() throws {
        let key = try EnvelopeKey(raw, id: 1)
        let long = EnvelopeContext.secret(workspace: String(repeating: "w", count: 300), name: "n/é", version: 7)
        let sealed = try key.seal([42], context: long)
        #expect(try key.open(sealed, context: long).unprotectedArray() == [42])
        let tooLong = EnvelopeContext.secret(workspace: "a", name: String(repeating: "x", count: 70_000), version: 1)
        #expect(throws: CofferCryptoError.invalidContext("secret name longer than 65535 bytes")) {
            try key.seal([1], context: tooLong)
        }
    }

    @Test func aadMatchesTheDocumentedEncoding() throws {
        // header ‖ purpose ‖ u16be len ‖ ws ‖ u16be len ‖ name ‖ u32be version
        var header: [UInt8] = [1, 1, 0, 0, 0, 9]
        let aad = try header.withUnsafeMutableBytes { h in
            try ctx.withAAD(header: h.baseAddress!, lengths: try ctx.validatedLengths()) { p, n in
                Array(UnsafeRawBufferPointer(start: p, count: n))
            }
        }
        let expected: [UInt8] = [1, 1, 0, 0, 0, 9, 1, 0, 4] + Array("acme".utf8) + [0, 12] + Array("github/oauth".utf8) + [0, 0, 0, 1]
        #expect(aad == expected)
        #expect(aad.count == 31)
        var encoded = [UInt8](repeating: 0, count: ctx.encodedCount)
        _ = encoded.withUnsafeMutableBytes { ctx.encode(into: $0.baseAddress!) }
        #expect(Array(aad[6...]) == encoded)
    }
}
