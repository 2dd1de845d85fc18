import COpenSSL

/// HMAC-SHA256 through OpenSSL's `EVP_MAC` interface, and a constant-time tag comparison.
///
/// Used by ``Fernet`` (which signs with HMAC-SHA256); nothing here implements a primitive.
enum OpenSSLHMAC {
    /// Length of an HMAC-SHA256 tag.
    static let tagCount = 32

    /// The fetched `HMAC` MAC algorithm, shared process-wide.
    /// @unchecked Sendable: a fetched `EVP_MAC` is immutable and reference-counted; OpenSSL
    /// documents fetched algorithm objects as safe to share between threads. It is never freed
    /// (it lives as long as the process) and only ever passed to `EVP_MAC_CTX_new`.
    private struct Fetched: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let mac = Fetched(pointer: EVP_MAC_fetch(nil, "HMAC", nil))

    /// Writes HMAC-SHA256(`key`, `data`) to `tag` (exactly ``tagCount`` bytes).
    /// - Throws: ``CofferCryptoError/libraryFailure(operation:)`` if any OpenSSL call fails.
    static func sha256(
        key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(tag.count == tagCount && key.count > 0)
        guard let mac = Self.mac.pointer else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_MAC_fetch(HMAC)")
        }
        guard let ctx = EVP_MAC_CTX_new(mac) else {
            throw CofferCryptoError.libraryFailure(operation: "EVP_MAC_CTX_new")
        }
        defer { EVP_MAC_CTX_free(ctx) }  // cleanses the keyed state

        let initialised = "digest".withCString { name in
            "SHA256".withCString { digest in
                var params = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_init(ctx, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count, &params)
            }
        }
        guard initialised == 1 else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_MAC_init(HMAC-SHA256)")
        }
        if data.count > 0 {
            guard EVP_MAC_update(ctx, data.baseAddress!.assumingMemoryBound(to: UInt8.self), data.count) == 1 else {
                ERR_clear_error()
                throw CofferCryptoError.libraryFailure(operation: "EVP_MAC_update")
            }
        }
        var written = 0
        guard EVP_MAC_final(ctx, tag.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, tag.count) == 1,
              written == tagCount
        else {
            ERR_clear_error()
            throw CofferCryptoError.libraryFailure(operation: "EVP_MAC_final")
        }
    }

    /// Whether two tags are equal, in time that depends only on their length (`CRYPTO_memcmp`).
    static func tagsEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return CRYPTO_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}
