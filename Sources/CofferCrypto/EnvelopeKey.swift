import CSodium

/// A 256-bit key prepared for sealing and opening Coffer v1 ciphertexts: the AES key schedule
/// (and GHASH precomputation) is done once here and reused by every message, so a message only
/// costs a nonce, the AAD and the cipher pass itself.
///
/// One `EnvelopeKey` can be used by any number of tasks at once.
///
/// ```swift
/// let key = try EnvelopeKey(SymmetricKey.generate(), id: 1)
/// let context = EnvelopeContext.secret(workspace: "acme", name: "github-token", version: 1)
/// let sealed = try key.seal(Array("ghp_…".utf8), context: context)
/// let plain = try key.open(sealed, context: context)
/// ```
public final class EnvelopeKey: Sendable, CustomStringConvertible {
    /// Which library does the AES-GCM work.
    public enum Backend: String, Sendable, CaseIterable {
        /// libsodium for messages up to ``EnvelopeKey/automaticSodiumLimit`` bytes, OpenSSL
        /// above (chosen by measurement, see BENCHMARKS.md); OpenSSL only where the CPU lacks
        /// AES-NI/PCLMULQDQ.
        case automatic
        /// libsodium for every size (fails on CPUs without AES-NI/PCLMULQDQ).
        case libsodium
        /// OpenSSL EVP for every size.
        case openSSL
    }

    /// With ``Backend/automatic``, messages of at most this many bytes go to libsodium.
    ///
    /// Chosen by measurement (`coffer-bench --threshold` and `--size-major --sizes
    /// 256,320,...,768`, both backends of one size back to back, 150 ms x 3, median; AMD EPYC
    /// with AES-NI/VAES, libsodium 1.0.18, OpenSSL 3.0.19; see BENCHMARKS.md). Crossovers:
    /// open, libsodium 250 vs OpenSSL 287 ns at 256 B, 328 vs 312 at 384 B, 387 vs 349 at
    /// 512 B; seal, 326 vs 367 at 384 B, 424 vs 363 at 448 B, 387 vs 379 at 512 B. From 1 KiB
    /// on OpenSSL wins by 1.4x (seal) to 2.7x (open at 64 KiB: 1.6 vs 4.4 GB/s). Seal plus
    /// open is cheaper with libsodium up to 384 B (654 vs 679 ns) and with OpenSSL from
    /// 448 B (834 vs 688 ns), hence 384. (libsodium is fastest at multiples of 128 B.)
    public static let automaticSodiumLimit = 384

    /// Largest plaintext one ciphertext may hold (1 GiB).
    public static let maxPlaintextBytes = 1 << 30

    /// The key id written into (and required in) every ciphertext header.
    public let id: UInt32
    /// The backend this key was prepared with.
    public let backend: Backend

    private let sodium: SodiumGCM?
    /// `sodium`'s precomputed state, borrowed: the hot path reaches it without retaining
    /// `sodium` (which lives as long as this key).
    private let sodiumState: SodiumGCM.StatePointer?
    private let openSSL: OpenSSLGCM?
    private let sodiumLimit: Int
    /// The first 4 and the last 2 bytes of the 6-byte v1 header this key writes and accepts,
    /// as stored in memory, so the open path checks a header with two compares.
    private let header4: UInt32
    private let header2: UInt16

    /// Prepares `key` for use under key id `id`.
    public init(_ key: SymmetricKey, id: UInt32, backend: Backend = .automatic) throws {
        self.id = id
        self.backend = backend
        switch backend {
        case .automatic:
            sodium = SodiumGCM.isAvailable ? try SodiumGCM(key: key) : nil
            openSSL = try OpenSSLGCM(key: key)
            sodiumLimit = sodium == nil ? -1 : Self.automaticSodiumLimit
        case .libsodium:
            sodium = try SodiumGCM(key: key)
            openSSL = nil
            sodiumLimit = Int.max
        case .openSSL:
            sodium = nil
            openSSL = try OpenSSLGCM(key: key)
            sodiumLimit = -1
        }
        sodiumState = sodium?.statePointer
        var h = (UInt32(0), UInt16(0))  // laid out as 4 + 2 bytes: the 6-byte header in memory order
        withUnsafeMutableBytes(of: &h) { b in CiphertextHeader.write(keyID: id, to: b.baseAddress!) }
        header4 = h.0
        header2 = h.1
    }

    // MARK: Seal

    /// Seals `plaintext` under this key, bound to `context`. Returns
    /// `header ‖ nonce ‖ ciphertext ‖ tag` (``CiphertextHeader/overhead`` bytes longer than the
    /// plaintext). One heap allocation: the returned array.
    public func seal(_ plaintext: UnsafeRawBufferPointer, context: EnvelopeContext) throws -> [UInt8] {
        guard plaintext.count <= Self.maxPlaintextBytes else {
            throw CofferCryptoError.messageTooLarge(limit: Self.maxPlaintextBytes)
        }
        let total = plaintext.count + CiphertextHeader.overhead
        var failure: (any Error)? = nil
        let out = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            do {
                initialized = try seal(plaintext, context: context, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Seals `plaintext`; see ``seal(_:context:)-(UnsafeRawBufferPointer,_)``.
    public func seal(_ plaintext: [UInt8], context: EnvelopeContext) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { p in try seal(p, context: context) }
    }

    /// Seals `plaintext`; see ``seal(_:context:)-(UnsafeRawBufferPointer,_)``.
    public func seal(_ plaintext: SecretBytes, context: EnvelopeContext) throws -> [UInt8] {
        try plaintext.withUnsafeBytes { p in try seal(p, context: context) }
    }

    /// Seals `plaintext` into caller-provided memory, allocating nothing. `output` must hold at
    /// least `plaintext.count + CiphertextHeader.overhead` bytes and must not overlap
    /// `plaintext`. Returns the number of bytes written.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, context: EnvelopeContext, into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        try seal(plaintext, context: context, nonce: nil, into: output)
    }

    /// Seals with an explicit nonce. Internal: only the published test vectors use a fixed
    /// nonce; every public path draws it from ``NonceSource``.
    @inline(__always)
    func seal(
        _ plaintext: UnsafeRawBufferPointer, context: EnvelopeContext, nonce fixedNonce: UnsafeRawBufferPointer?,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        let n = plaintext.count
        guard n <= Self.maxPlaintextBytes else { throw CofferCryptoError.messageTooLarge(limit: Self.maxPlaintextBytes) }
        let total = n + CiphertextHeader.overhead
        precondition(output.count >= total, "output buffer too small for the sealed value")
        let lengths = try context.validatedLengths()
        // A zero-length plaintext may come with a nil base address; the libraries want a pointer.
        let o = output.baseAddress.unsafelyUnwrapped
        let input = plaintext.baseAddress ?? UnsafeRawPointer(o)
        o.storeBytes(of: header4, as: UInt32.self)
        o.storeBytes(of: header2, toByteOffset: 4, as: UInt16.self)
        let nonce = o + CiphertextHeader.byteCount
        let body = nonce + CiphertextHeader.nonceByteCount
        if let fixedNonce {
            precondition(fixedNonce.count == CiphertextHeader.nonceByteCount)
            nonce.copyMemory(from: fixedNonce.baseAddress!, byteCount: CiphertextHeader.nonceByteCount)
        } else {
            try NonceSource.fill(nonce)
        }
        try context.withAAD(header: o, lengths: lengths) { aad, aadCount in
            if n <= sodiumLimit, let state = sodiumState {
                try state.seal(
                    plaintext: input, count: n, aad: aad, aadCount: aadCount, nonce: nonce,
                    ciphertext: body, tag: body + n)
            } else {
                try openSSL.unsafelyUnwrapped.seal(
                    plaintext: input, count: n, aad: UnsafeRawBufferPointer(start: aad, count: aadCount),
                    nonce: nonce, ciphertext: body, tag: body + n)
            }
        }
        return total
    }

    // MARK: Open

    /// Authenticates and decrypts a Coffer v1 ciphertext sealed under this key and `context`.
    /// One heap allocation: the returned value, which wipes itself when released.
    ///
    /// - Throws: ``CofferCryptoError/authenticationFailed`` for every failure to open (tag,
    ///   context, key, truncation); ``CofferCryptoError/malformedHeader(_:)`` only when the
    ///   header names a format version or algorithm this build does not know.
    public func open(_ ciphertext: UnsafeRawBufferPointer, context: EnvelopeContext) throws -> SecretBytes {
        guard hasOwnHeader(ciphertext) else { throw headerFailure(ciphertext) }
        return try SecretBytes(count: ciphertext.count - CiphertextHeader.overhead) { out in
            _ = try open(ciphertext, context: context, into: out)
        }
    }

    /// Opens `ciphertext`; see ``open(_:context:)-(UnsafeRawBufferPointer,_)``.
    public func open(_ ciphertext: [UInt8], context: EnvelopeContext) throws -> SecretBytes {
        try ciphertext.withUnsafeBytes { c in try open(c, context: context) }
    }

    /// Opens `ciphertext` into caller-provided memory, allocating nothing. `output` must hold
    /// at least `ciphertext.count - CiphertextHeader.overhead` bytes. Returns the plaintext
    /// length. On failure nothing readable is left in `output`. The caller is responsible for
    /// wiping `output` when done with the plaintext.
    public func open(
        _ ciphertext: UnsafeRawBufferPointer, context: EnvelopeContext, into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        guard hasOwnHeader(ciphertext) else { throw headerFailure(ciphertext) }
        let lengths = try context.validatedLengths()
        let n = ciphertext.count - CiphertextHeader.overhead
        precondition(output.count >= n, "output buffer too small for the opened value")
        let c = ciphertext.baseAddress.unsafelyUnwrapped
        // Zero-length output may have a nil base address; the libraries want a pointer.
        let o = output.baseAddress ?? UnsafeMutableRawPointer(mutating: c)
        let nonce = c + CiphertextHeader.byteCount
        let body = nonce + CiphertextHeader.nonceByteCount
        let ok = try context.withAAD(header: c, lengths: lengths) { aad, aadCount -> Bool in
            if n <= sodiumLimit, let state = sodiumState {
                return state.open(
                    ciphertext: body, count: n, tag: body + n, aad: aad, aadCount: aadCount, nonce: nonce, plaintext: o)
            } else {
                return try openSSL.unsafelyUnwrapped.open(
                    ciphertext: body, count: n, tag: body + n, aad: UnsafeRawBufferPointer(start: aad, count: aadCount),
                    nonce: nonce, plaintext: o)
            }
        }
        guard ok else {
            if n > 0 { sodium_memzero(o, n) }
            throw CofferCryptoError.authenticationFailed
        }
        return n
    }

    /// True when `ciphertext` is long enough to be a v1 ciphertext and starts with exactly the
    /// header this key writes (format 1, AES-256-GCM, this key id): two loads, two compares.
    @inline(__always)
    private func hasOwnHeader(_ ciphertext: UnsafeRawBufferPointer) -> Bool {
        guard ciphertext.count >= CiphertextHeader.overhead, let c = ciphertext.baseAddress else { return false }
        return c.loadUnaligned(as: UInt32.self) == header4
            && c.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == header2
    }

    /// The error for a ciphertext that ``hasOwnHeader(_:)`` rejected, the same one as parsing
    /// the header and then checking length and key id gives (``CofferCryptoError/malformedHeader(_:)``
    /// for an unknown version or algorithm, otherwise ``CofferCryptoError/authenticationFailed``).
    @inline(never)
    private func headerFailure(_ ciphertext: UnsafeRawBufferPointer) -> any Error {
        do {
            _ = try CiphertextHeader(parsing: ciphertext)
        } catch {
            return error
        }
        return CofferCryptoError.authenticationFailed
    }

    public var description: String { "EnvelopeKey(id: \(id), backend: \(backend.rawValue), key redacted)" }
}
