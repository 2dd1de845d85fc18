/// The public, authenticated header that starts every Coffer ciphertext (format v1):
///
/// ```
/// offset  size  field
///  0      1     format version (0x01)
///  1      1     algorithm id   (0x01 = AES-256-GCM, 96-bit nonce, 128-bit tag)
///  2      4     key id, big-endian (DEK version for values; KEK id for wrapped DEKs)
///  6     12     nonce
/// 18      n     ciphertext
/// 18+n   16     tag
/// ```
/// See docs/FORMAT.md for the AAD and the full specification.
public struct CiphertextHeader: Sendable, Hashable {
    /// Format version this library writes and reads.
    public static let formatVersion: UInt8 = 1
    /// Algorithm id of AES-256-GCM with a 96-bit nonce and a 128-bit tag.
    public static let aes256GCM: UInt8 = 1
    /// Header bytes covered by the AAD (version, algorithm, key id).
    public static let byteCount = 6
    /// Nonce length in bytes.
    public static let nonceByteCount = 12
    /// Tag length in bytes.
    public static let tagByteCount = 16
    /// Total bytes a ciphertext adds to its plaintext: header, nonce and tag.
    public static let overhead = byteCount + nonceByteCount + tagByteCount

    /// Format version byte.
    public let formatVersion: UInt8
    /// Algorithm id byte.
    public let algorithm: UInt8
    /// Identifies the key that sealed the data: the DEK version for secret values, a KEK id
    /// for wrapped data keys.
    public let keyID: UInt32

    /// Reads the header of `ciphertext` without authenticating anything: use it to choose the
    /// key, then open with that key.
    /// - Throws: ``CofferCryptoError/malformedHeader(_:)`` when this is not a v1 AES-256-GCM
    ///   ciphertext, ``CofferCryptoError/authenticationFailed`` when it is too short to be one.
    public init(parsing ciphertext: UnsafeRawBufferPointer) throws {
        guard ciphertext.count >= Self.byteCount else {
            throw CofferCryptoError.authenticationFailed
        }
        let version = ciphertext[0]
        guard version == Self.formatVersion else {
            throw CofferCryptoError.malformedHeader("unknown format version \(version) (this build reads version \(Self.formatVersion))")
        }
        let alg = ciphertext[1]
        guard alg == Self.aes256GCM else {
            throw CofferCryptoError.malformedHeader("unknown algorithm id \(alg)")
        }
        self.formatVersion = version
        self.algorithm = alg
        self.keyID = UInt32(bigEndian: ciphertext.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
    }

    /// Reads the header of `ciphertext`; see ``init(parsing:)-(UnsafeRawBufferPointer)``.
    public init(parsing ciphertext: [UInt8]) throws {
        self = try ciphertext.withUnsafeBytes { (b) in try CiphertextHeader(parsing: b) }
    }

    /// Writes a v1 AES-256-GCM header for `keyID` at `out` (6 bytes).
    @inline(__always)
    static func write(keyID: UInt32, to out: UnsafeMutableRawPointer) {
        out.storeBytes(of: formatVersion, as: UInt8.self)
        out.storeBytes(of: aes256GCM, toByteOffset: 1, as: UInt8.self)
        out.storeBytes(of: keyID.bigEndian, toByteOffset: 2, as: UInt32.self)
    }
}
