import Testing
@testable import CofferCrypto

/// The three `EnvelopeKey.Backend`s produce interchangeable ciphertexts at every size, through
/// every API shape (arrays, `SecretBytes`, raw buffers, caller buffers).
@Suite("Envelope backends and API shapes")
struct EnvelopeBackendTests {
    static let sizes = [0, 1, 15, 16, 17, 255, 256, 1023, 1024, 1025, 4096, 65539]
    static let keyBytes = TestSupport.pattern(32, seed: 77)
    static let context = EnvelopeContext.secret(workspace: "interop", name: "value", version: 12)

    static func keys() throws -> [EnvelopeKey] {
        try EnvelopeKey.Backend.allCases.map { try EnvelopeKey(TestSupport.key(keyBytes), id: 5, backend: $0) }
    }

    @Test("seal with each backend, open with each backend", arguments: sizes)
    func interop(size: Int) throws {
        let keys = try Self.keys()
        #expect(keys.map(\.backend) == [.automatic, .libsodium, .openSSL])
        let pt = TestSupport.pattern(size, seed: UInt8(size % 251))
        for sealer in keys {
            let sealed = try sealer.seal(pt, context: Self.context)
            #expect(sealed.count == size + CiphertextHeader.overhead)
            #expect(Array(sealed.prefix(6)) == [1, 1, 0, 0, 0, 5])
            if size >= 16 {
                #expect(Array(sealed[18..<(18 + size)]) != pt, "plaintext visible in ciphertext")
            }
            for opener in keys {
                let back = try opener.open(sealed, context: Self.context)
                #expect(back.count == size)
                #expect(back.unprotectedArray() == pt, "\(sealer.backend) -> \(opener.backend)")
            }
        }
    }

    @Test("fixed-nonce seal is byte-identical across backends", arguments: sizes)
    func fixedNonceAgreement(size: Int) throws {
        let pt = TestSupport.pattern(size, seed: 3)
        let nonce = TestSupport.pattern(12, seed: 200)
        var outputs: [[UInt8]] = []
        for key in try Self.keys() {
            var out = [UInt8](repeating: 0, count: size + CiphertextHeader.overhead)
            let written = try pt.withUnsafeBytes { p in
                try nonce.withUnsafeBytes { n in
                    try out.withUnsafeMutableBytes { o in try key.seal(p, context: Self.context, nonce: n, into: o) }
                }
            }
            #expect(written == out.count)
            #expect(Array(out[6..<18]) == nonce)
            outputs.append(out)
        }
        #expect(outputs.count == 3)
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        // And it matches the raw primitive with AAD = header ‖ encoded context.
        var aad = Array(outputs[0].prefix(6))
        aad += [1, 0, 7] + Array("interop".utf8) + [0, 5] + Array("value".utf8) + [0, 0, 0, 12]
        for raw in RawGCM.allCases {
            let r = try raw.seal(key: Self.keyBytes, nonce: nonce, aad: aad, plaintext: pt)
            #expect(Array(outputs[0].dropFirst(18)) == r.ct + r.tag, "\(raw)")
        }
    }

    @Test("caller-buffer seal and open", arguments: EnvelopeKey.Backend.allCases)
    func callerBuffers(backend: EnvelopeKey.Backend) throws {
        let key = try EnvelopeKey(TestSupport.key(Self.keyBytes), id: 5, backend: backend)
        for size in Self.sizes {
            let pt = TestSupport.pattern(size, seed: 8)
            // Output larger than needed: the return value says how much was written, the rest is untouched.
            var sealedBuffer = [UInt8](repeating: 0xEE, count: size + CiphertextHeader.overhead + 7)
            let written = try pt.withUnsafeBytes { p in
                try sealedBuffer.withUnsafeMutableBytes { o in try key.seal(p, context: Self.context, into: o) }
            }
            #expect(written == size + CiphertextHeader.overhead)
            #expect(sealedBuffer.suffix(7).allSatisfy { $0 == 0xEE })
            let sealed = Array(sealedBuffer.prefix(written))

            var plainBuffer = [UInt8](repeating: 0xEE, count: size + 3)
            let n = try sealed.withUnsafeBytes { c in
                try plainBuffer.withUnsafeMutableBytes { o in try key.open(c, context: Self.context, into: o) }
            }
            #expect(n == size)
            #expect(Array(plainBuffer.prefix(n)) == pt)
            #expect(plainBuffer.suffix(3).allSatisfy { $0 == 0xEE })
            // The allocating APIs agree with the buffer ones.
            #expect(try key.open(sealed, context: Self.context).unprotectedArray() == pt)
            let viaSecret = try key.seal(SecretBytes(pt), context: Self.context)
            let viaRaw = try pt.withUnsafeBytes { try key.seal($0, context: Self.context) }
            #expect(try key.open(viaSecret, context: Self.context).unprotectedArray() == pt)
            #expect(try viaRaw.withUnsafeBytes { try key.open($0, context: Self.context) }.unprotectedArray() == pt)
        }
    }

    @Test("empty plaintext through every API", arguments: EnvelopeKey.Backend.allCases)
    func emptyPlaintext(backend: EnvelopeKey.Backend) throws {
        let key = try EnvelopeKey(TestSupport.key(Self.keyBytes), id: 5, backend: backend)
        let a = try key.seal([], context: Self.context)
        let b = try key.seal(SecretBytes([]), context: Self.context)
        let c = try key.seal(UnsafeRawBufferPointer(start: nil, count: 0), context: Self.context)
        var d = [UInt8](repeating: 0, count: CiphertextHeader.overhead)
        let written = try d.withUnsafeMutableBytes { o in
            try key.seal(UnsafeRawBufferPointer(start: nil, count: 0), context: Self.context, into: o)
        }
        #expect(written == CiphertextHeader.overhead)
        for sealed in [a, b, c, d] {
            #expect(sealed.count == CiphertextHeader.overhead)
            let back = try key.open(sealed, context: Self.context)
            #expect(back.count == 0)
            #expect(back == SecretBytes([]))
            let n = try sealed.withUnsafeBytes { s in
                try key.open(s, context: Self.context, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            }
            #expect(n == 0)
            // An empty value is still authenticated: its tag depends on the context.
            #expect(TestSupport.cofferError { _ = try key.open(sealed, context: .secret(workspace: "interop", name: "value", version: 13)) }
                == .authenticationFailed)
        }
        #expect(Set([a, b, c, d].map { Array($0[6..<18]) }).count == 4, "nonces repeat")
    }

    @Test("context fields up to 65535 bytes are accepted, longer ones rejected")
    func fieldLimits() throws {
        let key = try EnvelopeKey(TestSupport.key(Self.keyBytes), id: 5)
        let longest = String(repeating: "w", count: EnvelopeContext.maxFieldBytes)
        let tooLong = longest + "w"
        let ok = EnvelopeContext.secret(workspace: longest, name: longest, version: 1)
        let sealed = try key.seal([1, 2, 3], context: ok)
        #expect(try key.open(sealed, context: ok).unprotectedArray() == [1, 2, 3])
        // The longest fields are still distinguished by their last byte.
        let almost = EnvelopeContext.secret(workspace: longest, name: String(longest.dropLast()) + "x", version: 1)
        #expect(TestSupport.cofferError { _ = try key.open(sealed, context: almost) } == .authenticationFailed)

        for bad in [EnvelopeContext.secret(workspace: tooLong, name: "n", version: 1),
                    EnvelopeContext.secret(workspace: "w", name: tooLong, version: 1)] {
            let e = TestSupport.cofferError { _ = try key.seal([1], context: bad) }
            guard case .invalidContext? = e else { Issue.record("got \(String(describing: e))"); continue }
            let e2 = TestSupport.cofferError { _ = try key.open(sealed, context: bad) }
            guard case .invalidContext? = e2 else { Issue.record("open got \(String(describing: e2))"); continue }
        }
        // 65535 bytes counted in UTF-8, not in characters: 21846 × "é" is 43692 bytes (fine),
        // 32768 × "é" is 65536 bytes (too long).
        let e = TestSupport.cofferError { _ = try key.seal([1], context: .secret(workspace: String(repeating: "é", count: 32768), name: "", version: 0)) }
        guard case .invalidContext? = e else { Issue.record("UTF-8 length not enforced: \(String(describing: e))"); return }
    }

    @Test("plaintexts over 1 GiB are refused before any byte is read")
    func tooLarge() throws {
        let key = try EnvelopeKey(TestSupport.key(Self.keyBytes), id: 5)
        #expect(EnvelopeKey.maxPlaintextBytes == 1 << 30)
        // A one-byte allocation described as 1 GiB + 1: the size check must come first.
        let one = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { one.deallocate() }
        let huge = UnsafeRawBufferPointer(start: one, count: EnvelopeKey.maxPlaintextBytes + 1)
        #expect(TestSupport.cofferError { _ = try key.seal(huge, context: Self.context) }
            == .messageTooLarge(limit: EnvelopeKey.maxPlaintextBytes))
        var out = [UInt8](repeating: 0, count: 64)
        let e = TestSupport.cofferError {
            try out.withUnsafeMutableBytes { o in _ = try key.seal(huge, context: Self.context, into: o) }
        }
        #expect(e == .messageTooLarge(limit: EnvelopeKey.maxPlaintextBytes))
    }
}
