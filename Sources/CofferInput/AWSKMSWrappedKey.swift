/// The layout of a data key wrapped by AWS KMS, as stored in `WrappedDataKey.ciphertext`
/// (docs/FORMAT.md §15). Read from stored rows, so it is parsed here with every length
/// checked, and fuzzed (Fuzz/Sources/FuzzKMSParsers):
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0 | 4 | magic, ASCII `CFKM` |
/// | 4 | 1 | layout version `0x01` |
/// | 5 | 2 | key ARN length `L`, u16 big-endian, 1–2048 |
/// | 7 | L | key ARN, printable ASCII |
/// | 7+L | 2 | blob length `B`, u16 big-endian, 1–6144 |
/// | 9+L | B | KMS `CiphertextBlob` |
///
/// Nothing may follow. The first byte (`C`) can never start a Coffer v1 ciphertext (`0x01`),
/// so a KMS-wrapped key handed to a local KEK fails as not-a-ciphertext, and vice versa.
public struct AWSKMSWrappedKey: Sendable, Hashable {
    /// `CFKM`.
    public static let magic: [UInt8] = Array("CFKM".utf8)
    /// Layout version.
    public static let version: UInt8 = 1
    /// Longest key ARN.
    public static let maxKeyARNLength = 2048
    /// Longest KMS ciphertext blob (KMS's own limit is 6144 bytes).
    public static let maxBlobLength = 6144

    /// The ARN of the KMS key that wrapped the data key.
    public let keyARN: String
    /// KMS's ciphertext blob: opaque, given back to `Decrypt` as is.
    public let blob: [UInt8]

    /// A wrapped key from its parts.
    /// - Throws: ``InputError`` when a part is empty or too long, or the ARN is not printable
    ///   ASCII.
    public init(keyARN: String, blob: [UInt8]) throws(InputError) {
        guard (1...Self.maxKeyARNLength).contains(keyARN.utf8.count), keyARN.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw InputError("the key ARN is empty, longer than \(Self.maxKeyARNLength) bytes or not printable ASCII")
        }
        guard (1...Self.maxBlobLength).contains(blob.count) else {
            throw InputError("the ciphertext blob is empty or longer than \(Self.maxBlobLength) bytes")
        }
        self.keyARN = keyARN
        self.blob = blob
    }

    /// Parses the stored bytes; nil when they are not this layout (wrong magic, version or
    /// lengths, trailing bytes). Every length is checked against the bytes before it is used.
    public init?(parsing bytes: [UInt8]) {
        guard bytes.count >= 9, Array(bytes[0..<4]) == Self.magic, bytes[4] == Self.version else { return nil }
        let arnLength = Int(bytes[5]) << 8 | Int(bytes[6])
        guard (1...Self.maxKeyARNLength).contains(arnLength), bytes.count >= 7 + arnLength + 2 else { return nil }
        let arnBytes = bytes[7..<(7 + arnLength)]
        guard arnBytes.allSatisfy({ (0x21...0x7e).contains($0) }) else { return nil }
        let b = 7 + arnLength
        let blobLength = Int(bytes[b]) << 8 | Int(bytes[b + 1])
        guard (1...Self.maxBlobLength).contains(blobLength), bytes.count == b + 2 + blobLength else { return nil }
        self.keyARN = String(decoding: arnBytes, as: UTF8.self)
        self.blob = Array(bytes[(b + 2)...])
    }

    /// The stored bytes.
    public var bytes: [UInt8] {
        let arn = Array(keyARN.utf8)
        var out = Self.magic + [Self.version, UInt8(arn.count >> 8), UInt8(arn.count & 0xff)] + arn
        out += [UInt8(blob.count >> 8), UInt8(blob.count & 0xff)] + blob
        return out
    }
}
