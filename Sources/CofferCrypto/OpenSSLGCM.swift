import COpenSSL
import CSodium
import Synchronization

/// AES-256-GCM through OpenSSL EVP with the key schedule computed once per key.
///
/// Contexts are initialised with the key once and pooled; a seal or open takes a context from
/// the pool, sets only the IV, and gives it back. Concurrent callers each hold their own
/// context, so any number of tasks can use one key at once.
///
/// The pool has a one-context fast slot: taking and returning it are one atomic exchange and
/// one compare-and-swap (no lock, no array). The PosixMutex-protected array only serves callers
/// that find the slot empty because another caller holds its context at the same moment.
final class OpenSSLGCM: Sendable {
    /// The fetched cipher, shared process-wide (fetched EVP_CIPHER objects are immutable and
    /// reference-counted; OpenSSL documents them as safe to share between threads).
    private struct Cipher: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let cipher = Cipher(pointer: EVP_CIPHER_fetch(nil, "AES-256-GCM", nil))

    /// A pooled `EVP_CIPHER_CTX`. @unchecked Sendable: a context is only ever used by the one
    /// caller that took it out of the pool (the PosixMutex hands each out once) until it is returned.
    private struct Context: @unchecked Sendable { let pointer: OpaquePointer }

    private let key: SymmetricKey
    /// The fast slot: an `EVP_CIPHER_CTX *` as its bit pattern, 0 when empty. Whoever
    /// exchanges a non-zero value out owns that context until it puts it back.
    private let slot = Atomic<Int>(0)
    private let pool = PosixMutex<[Context]>([])
    private static let maxPooled = 32

    init(key: SymmetricKey) throws {
        self.key = key
        // Fail early when OpenSSL cannot give us the cipher or a keyed context.
        let ctx = try makeContext()
        slot.store(Int(bitPattern: UnsafeRawPointer(ctx.pointer)), ordering: .releasing)
    }

    deinit {
        let fast = slot.exchange(0, ordering: .acquiring)
        if fast != 0 { EVP_CIPHER_CTX_free(OpaquePointer(bitPattern: fast)) }
        pool.withLock { contexts in
            for c in contexts { EVP_CIPHER_CTX_free(c.pointer) }  // cleanses key schedule
            contexts.removeAll()
        }
    }

    private func makeContext() throws -> Context {
        guard let cipher = Self.cipher.pointer else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_fetch(AES-256-GCM)")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_CTX_new")
        }
        let rc = key.withUnsafeBytes { k in
            EVP_EncryptInit_ex2(ctx, cipher, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, nil)
        }
        guard rc == 1 else {
            EVP_CIPHER_CTX_free(ctx)
            throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptInit_ex2(key)")
        }
        return Context(pointer: ctx)
    }

    @inline(__always)
    private func withContext<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        let ctx = try take()
        defer { give(ctx) }
        return try body(ctx)
    }

    @inline(__always)
    private func take() throws -> OpaquePointer {
        let fast = slot.exchange(0, ordering: .acquiring)
        if _fastPath(fast != 0) { return OpaquePointer(bitPattern: fast).unsafelyUnwrapped }
        return try takeSlow()
    }

    @inline(__always)
    private func give(_ ctx: OpaquePointer) {
        let bits = Int(bitPattern: UnsafeRawPointer(ctx))
        if _fastPath(slot.compareExchange(expected: 0, desired: bits, ordering: .releasing).exchanged) { return }
        giveSlow(ctx)
    }

    @inline(never)
    private func takeSlow() throws -> OpaquePointer {
        if let pooled = pool.withLock({ $0.popLast() }) { return pooled.pointer }
        return try makeContext().pointer
    }

    @inline(never)
    private func giveSlow(_ ctx: OpaquePointer) {
        let kept = pool.withLock { contexts -> Bool in
            guard contexts.count < Self.maxPooled else { return false }
            contexts.append(Context(pointer: ctx))
            return true
        }
        if !kept { EVP_CIPHER_CTX_free(ctx) }
    }

    /// Encrypts `count` bytes at `plaintext` into `ciphertext` and writes the 16-byte tag at
    /// `tag`. `aad` and `nonce` (12 bytes) are read.
    func seal(
        plaintext: UnsafeRawPointer, count: Int, aad: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer, ciphertext: UnsafeMutableRawPointer, tag: UnsafeMutableRawPointer
    ) throws {
        try withContext { (ctx) in
            var len: Int32 = 0
            guard EVP_EncryptInit_ex2(ctx, nil, nil, nonce.assumingMemoryBound(to: UInt8.self), nil) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptInit_ex2(iv)")
            }
            guard EVP_EncryptUpdate(ctx, nil, &len, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptUpdate(aad)")
            }
            let out = ciphertext.assumingMemoryBound(to: UInt8.self)
            var written = 0
            if count > 0 {
                guard EVP_EncryptUpdate(ctx, out, &len, plaintext.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
                    throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptUpdate")
                }
                written = Int(len)
            }
            guard EVP_EncryptFinal_ex(ctx, out + written, &len) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptFinal_ex")
            }
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_CTX_ctrl(GET_TAG)")
            }
        }
    }

    /// Decrypts and verifies. Returns false (and leaves `plaintext` zeroed) when the tag does
    /// not verify; throws only when OpenSSL itself fails.
    func open(
        ciphertext: UnsafeRawPointer, count: Int, tag: UnsafeRawPointer, aad: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer, plaintext: UnsafeMutableRawPointer
    ) throws -> Bool {
        try withContext { (ctx) -> Bool in
            var len: Int32 = 0
            guard EVP_DecryptInit_ex2(ctx, nil, nil, nonce.assumingMemoryBound(to: UInt8.self), nil) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_DecryptInit_ex2(iv)")
            }
            guard EVP_DecryptUpdate(ctx, nil, &len, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_DecryptUpdate(aad)")
            }
            let out = plaintext.assumingMemoryBound(to: UInt8.self)
            var written = 0
            if count > 0 {
                guard EVP_DecryptUpdate(ctx, out, &len, ciphertext.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
                    throw CofferCryptoError.libraryFailure(operation: "EVP_DecryptUpdate")
                }
                written = Int(len)
            }
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, UnsafeMutableRawPointer(mutating: tag)) == 1 else {
                throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_CTX_ctrl(SET_TAG)")
            }
            let ok = EVP_DecryptFinal_ex(ctx, out + written, &len) > 0
            if !ok {
                ERR_clear_error()
                if count > 0 { sodium_memzero(plaintext, count) }
            }
            return ok
        }
    }
}

