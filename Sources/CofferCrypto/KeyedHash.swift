import CSodium

/// Keyed BLAKE2b-256 (libsodium `crypto_generichash` with a 32-byte key): the MAC of the
/// audit chain. Holds the key in secure memory; comparisons are constant time.
public struct KeyedHash: Sendable, CustomStringConvertible {
    /// Length of a MAC in bytes.
    public static let byteCount = 32

    private let key: SymmetricKey

    /// Prepares `key` (32 bytes, kept in the caller's secure memory).
    public init(key: SymmetricKey) {
        self.key = key
    }

    /// BLAKE2b-256 keyed with the key over `message`.
    public func mac(_ message: [UInt8]) throws -> [UInt8] {
        try Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        let rc = key.withUnsafeBytes { k in
            message.withUnsafeBufferPointer { m in
                crypto_generichash(
                    &out, out.count, m.baseAddress, UInt64(m.count),
                    k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count)
            }
        }
        guard rc == 0 else { throw CofferCryptoError.libraryFailure(operation: "crypto_generichash") }
        return out
    }

    /// Whether `tag` is the MAC of `message`, compared in constant time.
    public func verify(_ tag: [UInt8], for message: [UInt8]) throws -> Bool {
        let expected = try mac(message)
        return Self.constantTimeEqual(expected, tag)
    }

    /// Whether two byte strings are equal, in time that depends only on their length
    /// (`sodium_memcmp`). Different lengths are unequal.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in sodium_memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
    }

    public var description: String { "KeyedHash(redacted)" }
}
