import Testing
@testable import CofferCrypto

/// Any change to a sealed value, its context, its key or its key id must make it fail to open,
/// and with `authenticationFailed` (the only exception: an unknown format version or algorithm
/// byte may be reported as `malformedHeader`).
@Suite("Envelope tampering")
struct EnvelopeTamperTests {
    static let context = EnvelopeContext.secret(workspace: "acme-prod", name: "github-token", version: 3)
    static let plaintext = Array("ghp_0123456789abcdefTOKEN-not-real".utf8)

    static func makeKey(_ backend: EnvelopeKey.Backend, id: UInt32 = 42) throws -> EnvelopeKey {
        try EnvelopeKey(TestSupport.key(TestSupport.pattern(32, seed: 9)), id: id, backend: backend)
    }

    /// Opens with both the allocating API and the caller-buffer API; returns the errors.
    static func openErrors(_ key: EnvelopeKey, _ sealed: [UInt8], _ context: EnvelopeContext) -> [CofferCryptoError?] {
        let allocating = TestSupport.cofferError { _ = try key.open(sealed, context: context) }
        let intoBuffer = TestSupport.cofferError {
            var out = [UInt8](repeating: 0xAA, count: max(sealed.count, 1))
            try sealed.withUnsafeBytes { c in
                try out.withUnsafeMutableBytes { o in _ = try key.open(c, context: context, into: o) }
            }
        }
        return [allocating, intoBuffer]
    }

    @Test("the untampered value opens (control)", arguments: EnvelopeKey.Backend.allCases)
    func control(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend)
        let sealed = try key.seal(Self.plaintext, context: Self.context)
        #expect(try key.open(sealed, context: Self.context) == SecretBytes(Self.plaintext))
        #expect(Self.openErrors(key, sealed, Self.context) == [nil, nil])
    }

    @Test("every single-bit flip fails", arguments: EnvelopeKey.Backend.allCases)
    func bitFlips(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend)
        let sealed = try key.seal(Self.plaintext, context: Self.context)
        var flips = 0
        for byte in sealed.indices {
            for bit in 0..<8 {
                var t = sealed
                t[byte] ^= 1 << bit
                for error in Self.openErrors(key, t, Self.context) {
                    if byte < 2 {
                        // Format version / algorithm byte: either error is acceptable.
                        let ok = error == .authenticationFailed || { if case .malformedHeader = error { true } else { false } }()
                        #expect(ok, "byte \(byte) bit \(bit): \(String(describing: error))")
                    } else {
                        #expect(error == .authenticationFailed, "byte \(byte) bit \(bit)")
                    }
                }
                flips += 1
            }
        }
        #expect(flips == (Self.plaintext.count + CiphertextHeader.overhead) * 8)
    }

    @Test("a failed open into a caller buffer leaves no plaintext there", arguments: EnvelopeKey.Backend.allCases)
    func failedOpenWipesOutput(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend)
        for size in [1, 16, 1024, 1025, 5000] {
            let pt = TestSupport.pattern(size, seed: 1)
            var sealed = try key.seal(pt, context: Self.context)
            sealed[sealed.count - 1] ^= 0x80  // break the tag
            var out = [UInt8](repeating: 0xAA, count: size)
            let error = TestSupport.cofferError {
                try sealed.withUnsafeBytes { c in
                    try out.withUnsafeMutableBytes { o in _ = try key.open(c, context: Self.context, into: o) }
                }
            }
            #expect(error == .authenticationFailed)
            #expect(out.allSatisfy { $0 == 0 }, "size \(size): output not wiped")
        }
    }

    static func contextVariants() -> [(String, EnvelopeContext)] {
        let c = context
        var v: [(String, EnvelopeContext)] = []
        v.append(("purpose", EnvelopeContext(purpose: .wrappedDataKey, workspace: c.workspace, name: c.name, version: c.version)))
        for ws in ["acme-pro", "acme-prod ", "Acme-prod", "", "acme-prodx", "acme-prod\u{0}", "acmé-prod"] {
            v.append(("workspace \(ws.debugDescription)", .secret(workspace: ws, name: c.name, version: c.version)))
        }
        for name in ["github-toke", "github-token2", "", "GITHUB-TOKEN", "github_token"] {
            v.append(("name \(name.debugDescription)", .secret(workspace: c.workspace, name: name, version: c.version)))
        }
        // Moving bytes across the workspace/name boundary must not collide (length prefixes).
        v.append(("boundary shift left", .secret(workspace: "acme-pro", name: "dgithub-token", version: c.version)))
        v.append(("boundary shift right", .secret(workspace: "acme-prodg", name: "ithub-token", version: c.version)))
        for version in [0, 2, 4, UInt32.max, 3 << 8, 3 << 24] as [UInt32] {
            v.append(("version \(version)", .secret(workspace: c.workspace, name: c.name, version: version)))
        }
        return v
    }

    @Test("every change of a context field fails with authenticationFailed", arguments: EnvelopeKey.Backend.allCases)
    func contextChanges(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend)
        let sealed = try key.seal(Self.plaintext, context: Self.context)
        let variants = Self.contextVariants()
        #expect(variants.count >= 20)
        for (label, ctx) in variants {
            #expect(ctx != Self.context, "\(label) is not a change")
            #expect(Self.openErrors(key, sealed, ctx) == [.authenticationFailed, .authenticationFailed], "\(label)")
        }
    }

    @Test("a wrapped data key does not open as a secret value, nor under another data-key version")
    func wrappedKeyContexts() throws {
        let kek = try Self.makeKey(.automatic, id: 0xDEAD_BEEF)
        let dek = TestSupport.pattern(32, seed: 4)
        let ctx = EnvelopeContext.dataKey(workspace: "acme-prod", dataKeyVersion: 7)
        let wrapped = try kek.seal(dek, context: ctx)
        #expect(try kek.open(wrapped, context: ctx).unprotectedArray() == dek)
        let others: [EnvelopeContext] = [
            .secret(workspace: "acme-prod", name: "", version: 7),
            .dataKey(workspace: "acme-prod", dataKeyVersion: 6),
            .dataKey(workspace: "acme-dev", dataKeyVersion: 7),
            EnvelopeContext(purpose: .wrappedDataKey, workspace: "acme-prod", name: "x", version: 7),
        ]
        for o in others {
            #expect(Self.openErrors(kek, wrapped, o) == [.authenticationFailed, .authenticationFailed], "\(o)")
        }
    }

    @Test("another key, another key id, or a rewritten key id fails", arguments: EnvelopeKey.Backend.allCases)
    func keyAndKeyID(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend, id: 42)
        let sealed = try key.seal(Self.plaintext, context: Self.context)
        #expect(try CiphertextHeader(parsing: sealed).keyID == 42)

        // Same key bytes, other id.
        let otherID = try Self.makeKey(backend, id: 43)
        #expect(Self.openErrors(otherID, sealed, Self.context) == [.authenticationFailed, .authenticationFailed])
        // Other key bytes, same id.
        let otherKey = try EnvelopeKey(TestSupport.key(TestSupport.pattern(32, seed: 10)), id: 42, backend: backend)
        #expect(Self.openErrors(otherKey, sealed, Self.context) == [.authenticationFailed, .authenticationFailed])
        // Key id in the header rewritten to 43 and opened with the id-43 key: the id is in the AAD.
        var rewritten = sealed
        rewritten[5] = 43
        #expect(try CiphertextHeader(parsing: rewritten).keyID == 43)
        #expect(Self.openErrors(otherID, rewritten, Self.context) == [.authenticationFailed, .authenticationFailed])
        // Random other keys.
        for _ in 0..<8 {
            let k = try EnvelopeKey(SymmetricKey.generate(), id: 42, backend: backend)
            #expect(Self.openErrors(k, sealed, Self.context) == [.authenticationFailed, .authenticationFailed])
        }
    }

    @Test("every truncation, and any extension, fails with authenticationFailed", arguments: EnvelopeKey.Backend.allCases)
    func truncationAndExtension(backend: EnvelopeKey.Backend) throws {
        let key = try Self.makeKey(backend)
        for pt in [[], [0x41], Self.plaintext] as [[UInt8]] {
            let sealed = try key.seal(pt, context: Self.context)
            for length in 0..<sealed.count {
                let t = Array(sealed.prefix(length))
                #expect(Self.openErrors(key, t, Self.context) == [.authenticationFailed, .authenticationFailed], "length \(length)")
            }
            for extra in [[0], [0, 0, 0, 0], TestSupport.pattern(16)] as [[UInt8]] {
                #expect(
                    Self.openErrors(key, sealed + extra, Self.context) == [.authenticationFailed, .authenticationFailed],
                    "extended by \(extra.count)")
            }
        }
    }

    @Test("unknown format version or algorithm is malformedHeader and names no data")
    func unknownVersionAndAlgorithm() throws {
        let key = try Self.makeKey(.automatic)
        let sealed = try key.seal(Self.plaintext, context: Self.context)
        for (index, value) in [(0, 0x00), (0, 0x02), (0, 0xFF), (1, 0x00), (1, 0x02), (1, 0xFF)] as [(Int, UInt8)] {
            var t = sealed
            t[index] = value
            let error = TestSupport.cofferError { _ = try key.open(t, context: Self.context) }
            guard case .malformedHeader(let why)? = error else {
                Issue.record("byte \(index) = \(value): \(String(describing: error))")
                continue
            }
            #expect(!why.isEmpty)
            #expect(!(error?.description.contains("ghp_") ?? true))
            #expect(TestSupport.cofferError { _ = try CiphertextHeader(parsing: t) } == error)
        }
    }
}
