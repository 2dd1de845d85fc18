import Testing
@testable import CofferCrypto

/// Nonces written into sealed values must never repeat under one key.
@Suite("Envelope nonces")
struct EnvelopeNonceTests {
    /// Reads the 12-byte nonce at offset 6 of a sealed value as one integer.
    static func nonce(_ sealed: UnsafeRawBufferPointer) -> UInt128 {
        var v: UInt128 = 0
        for i in CiphertextHeader.byteCount..<(CiphertextHeader.byteCount + CiphertextHeader.nonceByteCount) {
            v = v << 8 | UInt128(sealed[i])
        }
        return v
    }

    /// Sorts and returns the number of adjacent equal values.
    static func duplicates(_ values: inout [UInt128]) -> Int {
        values.sort()
        var d = 0
        for i in values.indices.dropFirst() where values[i] == values[i - 1] { d += 1 }
        return d
    }

    @Test("1,000,000 seals under one key give 1,000,000 distinct nonces")
    func millionSeals() throws {
        let count = 1_000_000
        let key = try EnvelopeKey(SymmetricKey.generate(), id: 1)
        let ctx = EnvelopeContext.secret(workspace: "w", name: "n", version: 1)
        // 16 MB of nonces, one 34-byte output buffer reused for every (empty) seal.
        var nonces = [UInt128]()
        nonces.reserveCapacity(count)
        var out = [UInt8](repeating: 0, count: CiphertextHeader.overhead)
        try out.withUnsafeMutableBytes { o in
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            for _ in 0..<count {
                let written = try key.seal(empty, context: ctx, into: o)
                guard written == CiphertextHeader.overhead else {
                    Issue.record("seal wrote \(written) bytes")
                    return
                }
                nonces.append(Self.nonce(UnsafeRawBufferPointer(o)))
            }
        }
        #expect(nonces.count == count)
        #expect(Self.duplicates(&nonces) == 0)
        // Sanity: the values span the space (not, say, a counter in the low bits).
        #expect(nonces.last! >> 88 != 0)
    }

    @Test("nonces drawn on many threads at once are all distinct")
    func concurrentNonces() async throws {
        let key = try EnvelopeKey(SymmetricKey.generate(), id: 1)
        let ctx = EnvelopeContext.secret(workspace: "w", name: "n", version: 1)
        let tasks = 32, perTask = 5_000
        var all = try await withThrowingTaskGroup(of: [UInt128].self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var local = [UInt128]()
                    local.reserveCapacity(perTask)
                    for i in 0..<perTask {
                        let sealed = try key.seal([UInt8(truncatingIfNeeded: i)], context: ctx)
                        sealed.withUnsafeBytes { local.append(Self.nonce($0)) }
                        if i % 500 == 0 { await Task.yield() }  // let tasks hop threads
                    }
                    return local
                }
            }
            var all = [UInt128]()
            for try await part in group { all += part }
            return all
        }
        #expect(all.count == tasks * perTask)
        #expect(Self.duplicates(&all) == 0)
    }
}

/// The fast nonce path is only taken where forked children cannot repeat nonces.
@Suite("Nonce source fork safety")
struct NonceForkSafetyTests {
    @Test func wipeOnForkIsProbedAndUsedOnLinux() {
        #if os(Linux)
        #expect(NonceSource.wipeOnForkAvailable, "this Linux kernel should support MADV_WIPEONFORK (4.14+)")
        #else
        #expect(!NonceSource.wipeOnForkAvailable)
        #endif
    }
}
