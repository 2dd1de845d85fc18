import CSodium

/// A 256-bit symmetric key (a KEK or a workspace data key) in wiped, locked memory.
///
/// It cannot be printed (`description` is redacted), is compared in constant time, and its
/// bytes are reachable only through ``withUnsafeBytes(_:)``.
public struct SymmetricKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Key length in bytes (AES-256).
    public static let byteCount = 32

    let storage: SecureBytes

    /// A fresh random key from libsodium's CSPRNG.
    public static func generate() -> SymmetricKey {
        SymmetricKey(unchecked: SecureBytes.random(count: byteCount))
    }

    /// Copies exactly 32 raw key bytes into secure memory.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` for any other length.
    public init(copying bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == Self.byteCount else {
            throw CofferCryptoError.invalidKey("a key must be exactly \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.storage = SecureBytes(copying: bytes)
    }

    /// Adopts secure bytes that hold exactly 32 bytes.
    public init(_ bytes: SecureBytes) throws {
        guard bytes.count == Self.byteCount else {
            throw CofferCryptoError.invalidKey("a key must be exactly \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.storage = bytes
    }

    init(unchecked bytes: SecureBytes) { self.storage = bytes }

    /// Decodes a key from standard base64 (with or without padding, surrounding whitespace
    /// ignored) straight into secure memory.
    public init(base64 text: some StringProtocol) throws {
        let trimmed = text.trimmingCharactersInWhitespace()
        var utf8 = Array(trimmed.utf8)
        defer { sodium_memzero(&utf8, utf8.count) }
        self = try utf8.withUnsafeBytes { (b) in try Self.decodeBase64(b) }
    }

    /// Decodes base64 text held in `encoded` (standard alphabet, padding optional, ASCII
    /// whitespace ignored) into a 32-byte key in secure memory.
    package static func decodeBase64(_ encoded: UnsafeRawBufferPointer) throws -> SymmetricKey {
        _ = Sodium.ready
        let bytes = try SecureBytes(count: byteCount) { (dst: UnsafeMutableRawBufferPointer) in
            var binLen = 0
            var end: UnsafePointer<CChar>? = nil
            let rc = encoded.withMemoryRebound(to: CChar.self) { src in
                sodium_base642bin(
                    dst.baseAddress!.assumingMemoryBound(to: UInt8.self), byteCount,
                    src.baseAddress, src.count, " \t\r\n", &binLen, &end,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
            }
            // sodium_base642bin with NO_PADDING refuses '=' : accept padded input by retrying.
            if rc != 0 || binLen != byteCount || end != encoded.baseAddress!.assumingMemoryBound(to: CChar.self) + encoded.count {
                var binLen2 = 0
                var end2: UnsafePointer<CChar>? = nil
                let rc2 = encoded.withMemoryRebound(to: CChar.self) { src in
                    sodium_base642bin(
                        dst.baseAddress!.assumingMemoryBound(to: UInt8.self), byteCount,
                        src.baseAddress, src.count, " \t\r\n", &binLen2, &end2,
                        sodium_base64_VARIANT_ORIGINAL)
                }
                guard rc2 == 0, binLen2 == byteCount,
                      end2 == encoded.baseAddress!.assumingMemoryBound(to: CChar.self) + encoded.count
                else {
                    throw CofferCryptoError.invalidKey("expected \(byteCount) bytes encoded as base64 (44 characters)")
                }
            }
        }
        return SymmetricKey(unchecked: bytes)
    }

    /// Read-only access to the key bytes. Do not let the pointer escape or copy the bytes
    /// into ordinary memory.
    @inline(__always)
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Constant-time equality.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool { lhs.storage == rhs.storage }

    public var description: String { "SymmetricKey(redacted)" }
    public var debugDescription: String { description }
}

extension StringProtocol {
    func trimmingCharactersInWhitespace() -> Substring {
        let s = Substring(self)
        guard let first = s.firstIndex(where: { !$0.isWhitespace }) else { return s[s.endIndex...] }
        let last = s.lastIndex(where: { !$0.isWhitespace })!
        return s[first...last]
    }
}
