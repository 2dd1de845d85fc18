import CSodium

/// An X25519 key pair (libsodium `crypto_box`), the identity that opens ``ExportBundle``s
/// sealed to its ``publicKey``.
///
/// The secret key lives in ``SecureBytes`` (`sodium_malloc`: locked, guard-paged, wiped on
/// release) and is never printed: `description` shows only the public key's fingerprint.
///
/// A secret key file holds one line, `coffer-x25519-secret:` followed by the 32 secret key
/// bytes as standard base64 with padding, and a newline. It is created with mode 0600 and
/// never overwritten; like a KEK key file it is refused when its group or other users have any
/// access to it.
public struct X25519KeyPair: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Length of an X25519 secret key in bytes.
    public static let secretKeyByteCount = 32
    /// Prefix of the secret key file's text.
    public static let secretTextPrefix = "coffer-x25519-secret:"
    /// Largest secret key file read (the line is 66 bytes; whitespace around it is tolerated).
    static let maxFileBytes = 512

    /// The public key, to hand to whoever seals bundles for this identity.
    public let publicKey: X25519PublicKey
    /// The 32-byte secret key.
    let secretKey: SecureBytes

    /// Adopts a 32-byte secret key and derives its public key (`crypto_scalarmult_base`).
    init(secretKey: SecureBytes) throws {
        try Sodium.ensureReady()
        guard secretKey.count == Self.secretKeyByteCount else {
            throw CofferCryptoError.invalidKey("an X25519 secret key must be exactly \(Self.secretKeyByteCount) bytes")
        }
        var pk = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        let rc = secretKey.withUnsafeBytes { sk in
            crypto_scalarmult_base(&pk, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard rc == 0 else {
            throw CofferCryptoError.invalidKey("the X25519 secret key does not give a usable public key")
        }
        self.publicKey = try X25519PublicKey(bytes: pk)
        self.secretKey = secretKey
    }

    /// A fresh key pair from libsodium's CSPRNG (`crypto_box_keypair`).
    public static func generate() throws -> X25519KeyPair {
        try Sodium.ensureReady()
        var pk = [UInt8](repeating: 0, count: X25519PublicKey.byteCount)
        let sk = try SecureBytes(count: secretKeyByteCount) { (out: UnsafeMutableRawBufferPointer) throws in
            guard crypto_box_keypair(&pk, out.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0 else {
                throw CofferCryptoError.libraryFailure(operation: "crypto_box_keypair")
            }
        }
        let pair = try X25519KeyPair(secretKey: sk)
        guard pair.publicKey.bytes == pk else { throw CofferCryptoError.libraryFailure(operation: "crypto_box_keypair") }
        return pair
    }

    // MARK: Files

    /// Writes the secret key to a new file at `path`: `coffer-x25519-secret:<base64>` and a
    /// newline, mode 0600, created exclusively (an existing file or symlink is never
    /// overwritten) and synced.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` naming the path and the problem.
    public func write(secretKeyTo path: String) throws {
        let prefix = Array(Self.secretTextPrefix.utf8)
        let encodedLength = sodium_base64_encoded_len(Self.secretKeyByteCount, sodium_base64_VARIANT_ORIGINAL)  // includes NUL
        let text = SecureBytes(count: prefix.count + encodedLength) { (out: UnsafeMutableRawBufferPointer) in
            out.copyBytes(from: prefix)
            secretKey.withUnsafeBytes { k in
                _ = sodium_bin2base64(
                    (out.baseAddress! + prefix.count).assumingMemoryBound(to: CChar.self), encodedLength,
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count, sodium_base64_VARIANT_ORIGINAL)
            }
            out[out.count - 1] = UInt8(ascii: "\n")  // replaces the NUL terminator
        }
        try X25519KeyFile.writeSecret(path, text)
    }

    /// Loads the key pair from a secret key file written by ``write(secretKeyTo:)``, deriving
    /// the public key.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` when the file is missing, is not a regular
    ///   file, can be accessed by its group or other users (with a `chmod 600` hint), or does
    ///   not hold a `coffer-x25519-secret:` line. The message never contains the file's bytes.
    public static func load(secretKeyFile path: String) throws -> X25519KeyPair {
        let (buffer, count) = try X25519KeyFile.readSecret(path, limit: maxFileBytes)
        let sk = try buffer.withUnsafeBytes { b in
            try decodeSecretText(UnsafeRawBufferPointer(rebasing: b[..<count]), path: path)
        }
        return try X25519KeyPair(secretKey: sk)
    }

    /// Decodes `coffer-x25519-secret:<base64>` (ASCII whitespace around it ignored) straight
    /// into secure memory.
    static func decodeSecretText(_ text: UnsafeRawBufferPointer, path: String) throws -> SecureBytes {
        let bad = CofferCryptoError.invalidKey(
            "secret key file \(path) does not hold an X25519 secret key: expected one line \"\(secretTextPrefix)\" followed by 32 bytes as base64")
        var start = 0, end = text.count
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d }
        while start < end, isSpace(text[start]) { start += 1 }
        while end > start, isSpace(text[end - 1]) { end -= 1 }
        let prefix = Array(secretTextPrefix.utf8)
        guard end - start > prefix.count,
              prefix.indices.allSatisfy({ text[start + $0] == prefix[$0] })
        else {
            if end - start >= X25519PublicKey.textPrefix.utf8.count,
               Array(X25519PublicKey.textPrefix.utf8).enumerated().allSatisfy({ text[start + $0.offset] == $0.element }) {
                throw CofferCryptoError.invalidKey(
                    "secret key file \(path) holds a public key (coffer-x25519-public:…); a secret key file is needed to open a bundle")
            }
            throw bad
        }
        let encoded = UnsafeRawBufferPointer(rebasing: text[(start + prefix.count)..<end])
        return try SecureBytes(count: secretKeyByteCount) { (dst: UnsafeMutableRawBufferPointer) throws in
            var binLen = 0
            var last: UnsafePointer<CChar>? = nil
            let rc = encoded.withMemoryRebound(to: CChar.self) { src in
                sodium_base642bin(
                    dst.baseAddress!.assumingMemoryBound(to: UInt8.self), dst.count,
                    src.baseAddress, src.count, nil, &binLen, &last, sodium_base64_VARIANT_ORIGINAL)
            }
            let consumedAll = encoded.withMemoryRebound(to: CChar.self) { src in last == src.baseAddress! + src.count }
            guard rc == 0, binLen == secretKeyByteCount, consumedAll else { throw bad }
        }
    }

    public var description: String { "X25519KeyPair(public \(publicKey.fingerprint), secret redacted)" }
    public var debugDescription: String { description }
}
