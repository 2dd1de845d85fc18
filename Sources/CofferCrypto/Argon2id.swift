import CSodium

/// Argon2id (version 1.3) through libsodium's `crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`:
/// one lane (p = 1), no secret or associated data, a 16-byte salt, a 32-byte output.
///
/// `opsLimit` is Argon2's iteration count t; `memLimit` is bytes (libsodium uses
/// `memLimit / 1024` KiB as Argon2's m).
enum Argon2id {
    /// Salt length libsodium's `crypto_pwhash` requires.
    static let saltByteCount = Int(crypto_pwhash_SALTBYTES)
    static let minOpsLimit = UInt64(crypto_pwhash_OPSLIMIT_MIN)
    static let maxOpsLimit = UInt64(crypto_pwhash_opslimit_max())
    static let minMemLimit = Int(crypto_pwhash_MEMLIMIT_MIN)
    static let maxMemLimit = Int(crypto_pwhash_memlimit_max())

    /// Why a parameter set is unusable, or `nil` when libsodium accepts it.
    static func parameterProblem(opsLimit: UInt64, memLimit: Int) -> String? {
        if opsLimit < minOpsLimit || opsLimit > maxOpsLimit {
            return "opslimit \(opsLimit) is outside \(minOpsLimit)...\(maxOpsLimit)"
        }
        if memLimit < minMemLimit || memLimit > maxMemLimit {
            return "memlimit \(memLimit) is outside \(minMemLimit)...\(maxMemLimit) bytes"
        }
        return nil
    }

    /// Derives a 32-byte key from `passphrase` and `salt` straight into secure memory.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` for a bad salt length or parameters,
    ///   ``CofferCryptoError/libraryFailure(operation:)`` when libsodium fails (usually: not
    ///   enough memory for `memLimit`).
    static func deriveKey(
        passphrase: UnsafeRawBufferPointer, salt: [UInt8], opsLimit: UInt64, memLimit: Int
    ) throws -> SymmetricKey {
        try Sodium.ensureReady()
        guard salt.count == saltByteCount else {
            throw CofferCryptoError.invalidKey("an Argon2id salt must be \(saltByteCount) bytes, got \(salt.count)")
        }
        if let why = parameterProblem(opsLimit: opsLimit, memLimit: memLimit) {
            throw CofferCryptoError.invalidKey("unusable Argon2id parameters: \(why)")
        }
        guard passphrase.count <= Int(crypto_pwhash_passwd_max()) else {
            throw CofferCryptoError.invalidKey("passphrase too long")
        }
        let out = try SecureBytes(count: SymmetricKey.byteCount) { (out: UnsafeMutableRawBufferPointer) throws in
            // crypto_pwhash wants a non-NULL password pointer even for an empty passphrase.
            var empty: CChar = 0
            let rc = withUnsafeMutablePointer(to: &empty) { emptyPointer in
                crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                    passphrase.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(emptyPointer),
                    UInt64(passphrase.count), salt, opsLimit, memLimit, crypto_pwhash_ALG_ARGON2ID13)
            }
            guard rc == 0 else { throw CofferCryptoError.libraryFailure(operation: "crypto_pwhash (Argon2id, memlimit \(memLimit) bytes)") }
        }
        return SymmetricKey(unchecked: out)
    }
}
