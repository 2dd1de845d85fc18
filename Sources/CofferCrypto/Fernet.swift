#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// Opening Fernet tokens (<https://github.com/fernet/spec/blob/master/Spec.md>), so that
/// secrets kept with Python's `cryptography.fernet` can be migrated into Coffer.
///
/// A token is url-safe base64 (with `=` padding) of
///
///     0x80 ‖ timestamp (64-bit big-endian Unix seconds) ‖ IV (16) ‖ AES-128-CBC ciphertext (PKCS#7) ‖ HMAC-SHA256 (32)
///
/// where the HMAC, keyed with the first half of the ``FernetKey``, covers everything before it.
/// Opening verifies the HMAC in constant time *before* anything is decrypted; AES, HMAC and
/// the padding are OpenSSL's. See docs/FERNET.md for exactly what is accepted.
///
/// Every failure — text that is not url-safe base64 with correct padding, a version byte
/// other than 0x80, a token too short or whose ciphertext is not a whole number of blocks, an
/// HMAC that none of the keys produces, bad padding, an expired or far-future timestamp — is
/// ``CofferCryptoError/authenticationFailed`` and nothing else, like pyca's single
/// `InvalidToken`: the error never says which check or which byte failed.
public enum Fernet {
    /// The version byte of every Fernet token.
    static let version: UInt8 = 0x80
    /// How far in the future (seconds) a token's timestamp may be when a TTL is checked
    /// (pyca's `_MAX_CLOCK_SKEW`).
    public static let maxClockSkew: Int64 = 60

    static let headerCount = 1 + 8 + 16  // version, timestamp, IV
    static let tagCount = OpenSSLHMAC.tagCount
    static let blockCount = OpenSSLAES128CBC.blockCount
    /// Largest ciphertext field accepted (keeps every OpenSSL length inside `Int32`).
    static let maxCiphertextCount = 1 << 30

    /// Opens a Fernet token with the first of `keys` that authenticates it (pyca's
    /// `MultiFernet.decrypt`: keys are tried in order).
    ///
    /// - Parameters:
    ///   - token: the token text. It must be exactly the url-safe base64 text with its `=`
    ///     padding; strip surrounding whitespace before calling.
    ///   - keys: the keys to try, in order; at least one.
    ///   - ttl: if given, the token's maximum age in seconds: a token whose
    ///     `timestamp + ttl < now` is refused, and so is one whose timestamp is more than
    ///     ``maxClockSkew`` seconds after `now`. Without a TTL the timestamp is not checked
    ///     (as in pyca).
    ///   - now: the current time in seconds since the Unix epoch; `nil` reads the system clock.
    /// - Returns: the plaintext, in memory that is wiped on release.
    /// - Throws: ``CofferCryptoError/authenticationFailed`` if the token cannot be opened for
    ///   any reason; ``CofferCryptoError/invalidKey(_:)`` if `keys` is empty;
    ///   ``CofferCryptoError/invalidContext(_:)`` if `ttl` is negative;
    ///   ``CofferCryptoError/libraryFailure(operation:)`` if OpenSSL fails.
    public static func open(
        token: some StringProtocol, keys: [FernetKey], ttl: Int64? = nil, now: Int64? = nil
    ) throws -> SecretBytes {
        guard !keys.isEmpty else { throw CofferCryptoError.invalidKey("no Fernet key given") }
        if let ttl, ttl < 0 { throw CofferCryptoError.invalidContext("the Fernet TTL must not be negative") }
        guard let data = decodeToken(token) else { throw CofferCryptoError.authenticationFailed }
        let now = now ?? currentTime()
        return try data.withUnsafeBytes { token in
            for key in keys {
                if let plaintext = try open(token, key: key, ttl: ttl, now: now) { return plaintext }
            }
            throw CofferCryptoError.authenticationFailed
        }
    }

    /// Opens decoded token bytes with one key; `nil` when that key does not open it.
    private static func open(_ token: UnsafeRawBufferPointer, key: FernetKey, ttl: Int64?, now: Int64) throws -> SecretBytes? {
        let signedCount = token.count - tagCount
        let signed = UnsafeRawBufferPointer(rebasing: token[..<signedCount])
        let tag = UnsafeRawBufferPointer(rebasing: token[signedCount...])

        // 1. The HMAC, in constant time, before anything else is looked at.
        var expected = [UInt8](repeating: 0, count: tagCount)
        try expected.withUnsafeMutableBytes { out in
            try key.withSigningKey { k in try OpenSSLHMAC.sha256(key: k, data: signed, into: out) }
        }
        let authentic = expected.withUnsafeBytes { OpenSSLHMAC.tagsEqual($0, tag) }
        guard authentic else { return nil }

        // 2. The (now authenticated) timestamp, only when a TTL is given.
        if let ttl {
            var timestamp: UInt64 = 0
            for b in token[1..<9] { timestamp = timestamp << 8 | UInt64(b) }
            let ts = Int128(timestamp), current = Int128(now)
            if ts + Int128(ttl) < current { return nil }  // too old
            if current + Int128(maxClockSkew) < ts { return nil }  // too far in the future
        }

        // 3. Decrypt and unpad.
        let iv = UnsafeRawBufferPointer(rebasing: token[9..<headerCount])
        let ciphertext = UnsafeRawBufferPointer(rebasing: token[headerCount..<signedCount])
        var plaintextCount: Int? = nil
        let scratch = try SecretBytes(count: ciphertext.count + blockCount) { out in
            plaintextCount = try key.withEncryptionKey { k in
                try OpenSSLAES128CBC.decrypt(key: k, iv: iv, ciphertext: ciphertext, into: out)
            }
        }
        guard let plaintextCount else { return nil }
        return scratch.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[..<plaintextCount])) }
    }

    /// Decodes the token text and checks its shape (version byte, length, whole blocks).
    /// The token is ciphertext, not a secret, so ordinary memory is fine.
    static func decodeToken(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        let encodedCount = utf8.count
        guard encodedCount >= 4, encodedCount % 4 == 0,
              encodedCount / 4 * 3 <= maxCiphertextCount + headerCount + tagCount + 2,
              Sodium.ready
        else { return nil }
        var bytes = [UInt8](repeating: 0, count: encodedCount / 4 * 3)
        var binCount = 0
        let ok = utf8.withUnsafeBytes { src in
            bytes.withUnsafeMutableBytes { dst in
                var end: UnsafePointer<CChar>? = nil
                let s = src.baseAddress!.assumingMemoryBound(to: CChar.self)
                let rc = sodium_base642bin(
                    dst.baseAddress!.assumingMemoryBound(to: UInt8.self), dst.count,
                    s, src.count, nil, &binCount, &end, sodium_base64_VARIANT_URLSAFE)
                return rc == 0 && end == UnsafePointer(s) + src.count
            }
        }
        guard ok else { return nil }
        bytes.removeSubrange(binCount...)
        let ciphertextCount = bytes.count - headerCount - tagCount
        guard bytes.count >= headerCount + blockCount + tagCount,
              bytes[0] == version,
              ciphertextCount % blockCount == 0
        else { return nil }
        return bytes
    }

    /// Seconds since the Unix epoch, from the system clock.
    static func currentTime() -> Int64 { Int64(time(nil)) }

    // MARK: Sealing (tests only)

    /// Makes a token with a given IV and timestamp, to reproduce the spec's `generate.json`
    /// vectors byte for byte. Internal and for tests only: Coffer never writes Fernet tokens.
    static func seal(_ plaintext: [UInt8], key: FernetKey, iv: [UInt8], timestamp: UInt64) throws -> String {
        precondition(iv.count == blockCount)
        let ciphertextCount = OpenSSLAES128CBC.paddedCount(plaintext.count)
        var token = [UInt8](repeating: 0, count: headerCount + ciphertextCount + tagCount)
        token[0] = version
        for i in 0..<8 { token[1 + i] = UInt8(truncatingIfNeeded: timestamp >> (56 - 8 * UInt64(i))) }
        token.replaceSubrange(9..<headerCount, with: iv)
        try token.withUnsafeMutableBytes { t in
            let written = try plaintext.withUnsafeBytes { p in
                try iv.withUnsafeBytes { v in
                    try key.withEncryptionKey { k in
                        try OpenSSLAES128CBC.encrypt(
                            key: k, iv: v, plaintext: p,
                            into: UnsafeMutableRawBufferPointer(rebasing: t[headerCount..<(headerCount + ciphertextCount)]))
                    }
                }
            }
            precondition(written == ciphertextCount)
            let signedCount = headerCount + ciphertextCount
            try key.withSigningKey { k in
                try OpenSSLHMAC.sha256(
                    key: k, data: UnsafeRawBufferPointer(rebasing: t[..<signedCount]),
                    into: UnsafeMutableRawBufferPointer(rebasing: t[signedCount...]))
            }
        }
        return encodeToken(token)
    }

    /// Url-safe base64 with padding, as Fernet tokens are written.
    static func encodeToken(_ bytes: [UInt8]) -> String {
        _ = Sodium.ready
        let length = sodium_base64_encoded_len(bytes.count, sodium_base64_VARIANT_URLSAFE)
        var out = [CChar](repeating: 0, count: length)
        bytes.withUnsafeBytes { b in
            _ = sodium_bin2base64(&out, length, b.baseAddress?.assumingMemoryBound(to: UInt8.self), b.count,
                                  sodium_base64_VARIANT_URLSAFE)
        }
        return String(decoding: out.prefix(length - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
