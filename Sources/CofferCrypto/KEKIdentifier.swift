import CSodium

/// The non-secret fingerprint of a key-encryption key: 16 bytes, written as `kek-` followed by
/// 32 lowercase hex digits.
///
/// For local KEKs it is BLAKE2b (libsodium `crypto_generichash`) keyed with the KEK over the
/// domain string `coffer/kek-id/v1`, truncated to 16 bytes by the hash's output length, so it
/// identifies the key without revealing anything about it. For keys held by a KMS or an HSM
/// it is the unkeyed BLAKE2b-128 of the provider's domain and the key's name
/// (``init(externalKey:provider:)``).
public struct KEKIdentifier: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Number of fingerprint bytes.
    public static let byteCount = 16
    /// Prefix of the text form.
    public static let prefix = "kek-"

    /// The fingerprint bytes (``byteCount`` of them).
    public let bytes: [UInt8]

    /// Wraps 16 fingerprint bytes.
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` for any other length.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.byteCount else {
            throw CofferCryptoError.invalidKey("a KEK identifier must be \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// The identifier of a key that lives outside the process (in a KMS or an HSM), named by
    /// `key` (an AWS KMS key ARN, a PKCS#11 object): BLAKE2b-128 (libsodium
    /// `crypto_generichash`, no key) over `coffer/kek-id/<provider>/v1`, a zero byte, and the
    /// UTF-8 of `key` (docs/FORMAT.md §4). The same key always has the same identifier.
    public init(externalKey key: String, provider: String) throws {
        try Sodium.ensureReady()
        let input = Array("coffer/kek-id/\(provider)/v1".utf8) + [0] + Array(key.utf8)
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        guard crypto_generichash(&out, out.count, input, UInt64(input.count), nil, 0) == 0 else {
            throw CofferCryptoError.libraryFailure(operation: "crypto_generichash")
        }
        self.bytes = out
    }

    /// Parses the text form `kek-` + 32 hex digits (either case).
    /// - Throws: ``CofferCryptoError/invalidKey(_:)`` when `text` is not in that form.
    public init(parsing text: String) throws {
        let invalid = CofferCryptoError.invalidKey(
            "a KEK identifier is \"\(Self.prefix)\" followed by \(Self.byteCount * 2) hex digits")
        guard text.hasPrefix(Self.prefix) else { throw invalid }
        let hex = Array(text.utf8.dropFirst(Self.prefix.utf8.count))
        guard hex.count == Self.byteCount * 2 else { throw invalid }
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        var i = 0
        while i < hex.count {
            guard let hi = Self.nibble(hex[i]), let lo = Self.nibble(hex[i + 1]) else { throw invalid }
            out.append(hi << 4 | lo)
            i += 2
        }
        self.bytes = out
    }

    /// The first 4 fingerprint bytes as a big-endian integer: the key id written into the
    /// Coffer v1 header of every data key wrapped under this KEK. Only a hint for choosing
    /// the key; the full identifier is checked as well.
    public var headerKeyID: UInt32 {
        bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// `kek-` followed by 32 lowercase hex digits.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var s = Array(Self.prefix.utf8)
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: s, as: UTF8.self)
    }

    /// Encodes as the text form (a single string).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// Decodes the text form.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(error)")
        }
    }

    /// The value of one hex digit (either case), or nil.
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
