import CSodium

/// AES-256-GCM through libsodium's precomputed-key API (`crypto_aead_aes256gcm_beforenm` once,
/// `*_afternm` per message). The precomputed state (expanded key and GHASH powers) lives in
/// `sodium_malloc` memory and is only read by `*_afternm`, so one state serves any number of
/// threads at once without locking. Available only on CPUs with AES-NI and PCLMULQDQ.
final class SodiumGCM: @unchecked Sendable {
    // @unchecked Sendable: `state` is written once by beforenm in init and only read by the
    // afternm functions afterwards (libsodium takes it as `const`); freed in deinit.
    private let state: UnsafeMutablePointer<crypto_aead_aes256gcm_state>

    /// True when libsodium's AES-256-GCM can run on this CPU.
    static let isAvailable: Bool = Sodium.ready && crypto_aead_aes256gcm_is_available() == 1

    init(key: SymmetricKey) throws {
        guard Self.isAvailable else { throw CofferCryptoError.libraryFailure(operation: "crypto_aead_aes256gcm_is_available") }
        // sodium_malloc: guard pages, mlock, wiped by sodium_free. The state (512 bytes, a
        // multiple of 16) comes back 16-byte aligned as libsodium requires.
        guard let raw = sodium_malloc(MemoryLayout<crypto_aead_aes256gcm_state>.size) else {
            throw CofferCryptoError.libraryFailure(operation: "sodium_malloc")
        }
        state = raw.bindMemory(to: crypto_aead_aes256gcm_state.self, capacity: 1)
        let rc = key.withUnsafeBytes { k in
            crypto_aead_aes256gcm_beforenm(state, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else {
            sodium_free(raw)
            throw CofferCryptoError.libraryFailure(operation: "crypto_aead_aes256gcm_beforenm")
        }
    }

    deinit { sodium_free(state) }

    /// Encrypts `count` bytes at `plaintext` into `output` (ciphertext followed by the tag).
    @inline(__always)
    func seal(
        plaintext: UnsafeRawPointer, count: Int, aad: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer, output: UnsafeMutableRawPointer
    ) throws {
        var clen: UInt64 = 0
        let rc = crypto_aead_aes256gcm_encrypt_afternm(
            output.assumingMemoryBound(to: UInt8.self), &clen,
            plaintext.assumingMemoryBound(to: UInt8.self), UInt64(count),
            aad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(aad.count),
            nil, nonce.assumingMemoryBound(to: UInt8.self), state)
        guard rc == 0 else { throw CofferCryptoError.libraryFailure(operation: "crypto_aead_aes256gcm_encrypt_afternm") }
    }

    /// Verifies and decrypts `count + 16` bytes (ciphertext and tag) at `ciphertext`.
    /// Returns false when the tag does not verify.
    @inline(__always)
    func open(
        ciphertext: UnsafeRawPointer, count: Int, aad: UnsafeRawBufferPointer,
        nonce: UnsafeRawPointer, plaintext: UnsafeMutableRawPointer
    ) -> Bool {
        var mlen: UInt64 = 0
        let rc = crypto_aead_aes256gcm_decrypt_afternm(
            plaintext.assumingMemoryBound(to: UInt8.self), &mlen, nil,
            ciphertext.assumingMemoryBound(to: UInt8.self), UInt64(count + 16),
            aad.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(aad.count),
            nonce.assumingMemoryBound(to: UInt8.self), state)
        return rc == 0
    }
}
