import COpenSSL
import CSodium

/// AES-128-CBC with PKCS#7 padding through OpenSSL EVP, one context per call.
///
/// Used by ``Fernet`` only; OpenSSL does the cipher and the padding.
enum OpenSSLAES128CBC {
    static let keyCount = 16
    static let blockCount = 16

    /// The fetched cipher, shared process-wide.
    /// @unchecked Sendable: a fetched `EVP_CIPHER` is immutable and reference-counted; OpenSSL
    /// documents fetched algorithm objects as safe to share between threads. It is never freed
    /// and only ever passed to `EVP_EncryptInit_ex2` / `EVP_DecryptInit_ex2`.
    private struct Fetched: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let cipher = Fetched(pointer: EVP_CIPHER_fetch(nil, "AES-128-CBC", nil))

    private static func newContext() throws -> (cipher: OpaquePointer, ctx: OpaquePointer) {
        guard let cipher = Self.cipher.pointer else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_fetch(AES-128-CBC)")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_CTX_new")
        }
        return (cipher, ctx)
    }

    /// Decrypts `ciphertext` (a non-empty multiple of 16 bytes) and removes the PKCS#7 padding.
    ///
    /// `out` must have room for `ciphertext.count + 16` bytes (OpenSSL's documented bound).
    /// - Returns: the plaintext length, or `nil` when the padding is invalid (then `out` is wiped).
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` if OpenSSL itself fails.
    static func decrypt(
        key: UnsafeRawBufferPointer, iv: UnsafeRawBufferPointer,
        ciphertext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) throws -> Int? {
        precondition(key.count == keyCount && iv.count == blockCount)
        precondition(ciphertext.count > 0 && ciphertext.count % blockCount == 0)
        precondition(out.count >= ciphertext.count + blockCount && ciphertext.count <= Int(Int32.max) - blockCount)
        let (cipher, ctx) = try newContext()
        defer { EVP_CIPHER_CTX_free(ctx) }  // cleanses the key schedule
        guard EVP_DecryptInit_ex2(ctx, cipher, key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  iv.baseAddress!.assumingMemoryBound(to: UInt8.self), nil) == 1
        else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_DecryptInit_ex2(AES-128-CBC)")
        }
        guard EVP_CIPHER_CTX_set_padding(ctx, 1) == 1 else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_CIPHER_CTX_set_padding")
        }
        let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var len: Int32 = 0
        guard EVP_DecryptUpdate(ctx, o, &len, ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                Int32(ciphertext.count)) == 1
        else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_DecryptUpdate(AES-128-CBC)")
        }
        let written = Int(len)
        guard EVP_DecryptFinal_ex(ctx, o + written, &len) == 1 else {
            // Bad padding: the only way DecryptFinal fails for a whole number of blocks.
            ERR_clear_error()
            sodium_memzero(out.baseAddress!, out.count)
            return nil
        }
        return written + Int(len)
    }

    /// Encrypts `plaintext` with PKCS#7 padding into `out`, which must have room for
    /// `(plaintext.count / 16 + 1) * 16` bytes. Returns the ciphertext length.
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` if OpenSSL fails.
    static func encrypt(
        key: UnsafeRawBufferPointer, iv: UnsafeRawBufferPointer,
        plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        precondition(key.count == keyCount && iv.count == blockCount)
        precondition(out.count >= paddedCount(plaintext.count) && plaintext.count <= Int(Int32.max) - blockCount)
        let (cipher, ctx) = try newContext()
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_EncryptInit_ex2(ctx, cipher, key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                  iv.baseAddress!.assumingMemoryBound(to: UInt8.self), nil) == 1
        else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptInit_ex2(AES-128-CBC)")
        }
        let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var len: Int32 = 0
        var written = 0
        if plaintext.count > 0 {
            guard EVP_EncryptUpdate(ctx, o, &len, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                    Int32(plaintext.count)) == 1
            else {
                ERR_clear_error()
                throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptUpdate(AES-128-CBC)")
            }
            written = Int(len)
        }
        guard EVP_EncryptFinal_ex(ctx, o + written, &len) == 1 else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_EncryptFinal_ex(AES-128-CBC)")
        }
        return written + Int(len)
    }

    /// Ciphertext length for a plaintext of `count` bytes (PKCS#7 always adds 1…16 bytes).
    static func paddedCount(_ count: Int) -> Int { (count / blockCount + 1) * blockCount }
}
