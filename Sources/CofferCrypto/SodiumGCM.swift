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

    /// The precomputed state, for the hot path of ``EnvelopeKey``, which keeps this object
    /// alive for as long as it uses the pointer.
    var statePointer: StatePointer { StatePointer(pointer: state) }

    /// A borrowed pointer to a precomputed state.
    ///
    /// @unchecked Sendable: the state behind it is written once (beforenm, in `SodiumGCM.init`)
    /// and only read afterwards (libsodium takes it as `const`); its owner, the `SodiumGCM`
    /// stored next to this value in the same immutable `EnvelopeKey`, frees it only in deinit,
    /// when no caller can still be using the key.
    struct StatePointer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<crypto_aead_aes256gcm_state>

        /// Encrypts `count` bytes at `plaintext` into `ciphertext` and writes the 16-byte tag
        /// at `tag` (`*_detached_afternm`: no wrapper call, the v1 layout already puts the
        /// tag right after the ciphertext).
        @inline(__always)
        func seal(
            plaintext: UnsafeRawPointer, count: Int, aad: UnsafeRawPointer, aadCount: Int,
            nonce: UnsafeRawPointer, ciphertext: UnsafeMutableRawPointer, tag: UnsafeMutableRawPointer
        ) throws {
            let rc = crypto_aead_aes256gcm_encrypt_detached_afternm(
                ciphertext.assumingMemoryBound(to: UInt8.self), tag.assumingMemoryBound(to: UInt8.self), nil,
                plaintext.assumingMemoryBound(to: UInt8.self), UInt64(count),
                aad.assumingMemoryBound(to: UInt8.self), UInt64(aadCount),
                nil, nonce.assumingMemoryBound(to: UInt8.self), pointer)
            guard rc == 0 else {
                throw CofferCryptoError.libraryFailure(operation: "crypto_aead_aes256gcm_encrypt_detached_afternm")
            }
        }

        /// Verifies the 16-byte tag at `tag` and decrypts `count` bytes at `ciphertext`.
        /// Returns false when the tag does not verify.
        @inline(__always)
        func open(
            ciphertext: UnsafeRawPointer, count: Int, tag: UnsafeRawPointer, aad: UnsafeRawPointer, aadCount: Int,
            nonce: UnsafeRawPointer, plaintext: UnsafeMutableRawPointer
        ) -> Bool {
            crypto_aead_aes256gcm_decrypt_detached_afternm(
                plaintext.assumingMemoryBound(to: UInt8.self), nil,
                ciphertext.assumingMemoryBound(to: UInt8.self), UInt64(count),
                tag.assumingMemoryBound(to: UInt8.self),
                aad.assumingMemoryBound(to: UInt8.self), UInt64(aadCount),
                nonce.assumingMemoryBound(to: UInt8.self), pointer) == 0
        }
    }
}
