/// The layout of a data key wrapped by a PKCS#11 token with `CKM_AES_GCM`, as stored in
/// `WrappedDataKey.ciphertext` (docs/FORMAT.md §16). Read from stored rows, so it is parsed
/// here with every length checked, and fuzzed (Fuzz/Sources/FuzzKMSParsers):
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0 | 4 | magic, ASCII `CFPK` |
/// | 4 | 1 | layout version `0x01` |
/// | 5 | 12 | GCM IV (random, fresh for every wrap) |
/// | 17 | 48 | AES-256-GCM ciphertext of the 32-byte data key, then its 16-byte tag |
/// | 65 | 1 | token label length `T`, 1–32 |
/// | 66 | T | token label, UTF-8 without control characters |
/// | 66+T | 1 | object label length `O`, 1–255 |
/// | 67+T | O | key object label, UTF-8 without control characters |
///
/// Nothing may follow. The first byte (`C`) can never start a Coffer v1 ciphertext (`0x01`),
/// and `CFPK` differs from the AWS KMS layout's `CFKM`, so a key wrapped by one provider handed
/// to another fails as not-its-layout (authentication failed).
public struct PKCS11WrappedKey: Sendable, Hashable {
    /// `CFPK`.
    public static let magic: [UInt8] = Array("CFPK".utf8)
    /// Layout version.
    public static let version: UInt8 = 1
    /// GCM IV length.
    public static let ivLength = 12
    /// Ciphertext and tag of a 32-byte data key.
    public static let sealedLength = 48
    /// Longest token label (Cryptoki's token label field).
    public static let maxTokenLabelLength = 32
    /// Longest object label.
    public static let maxObjectLabelLength = 255

    /// The GCM IV.
    public let iv: [UInt8]
    /// Ciphertext followed by the 16-byte tag.
    public let sealed: [UInt8]
    /// Label of the token that holds the KEK.
    public let tokenLabel: String
    /// Label of the KEK object in the token.
    public let objectLabel: String

    /// A wrapped key from its parts.
    /// - Throws: ``InputError`` when a part has the wrong length or a label is empty, too long
    ///   or holds control characters.
    public init(iv: [UInt8], sealed: [UInt8], tokenLabel: String, objectLabel: String) throws(InputError) {
        guard iv.count == Self.ivLength, sealed.count == Self.sealedLength else {
            throw InputError("the IV must be \(Self.ivLength) bytes and the sealed key \(Self.sealedLength)")
        }
        guard Self.isLabel(Array(tokenLabel.utf8), max: Self.maxTokenLabelLength),
              Self.isLabel(Array(objectLabel.utf8), max: Self.maxObjectLabelLength)
        else { throw InputError("a token label is 1–\(Self.maxTokenLabelLength) bytes, an object label 1–\(Self.maxObjectLabelLength), without control characters") }
        self.iv = iv
        self.sealed = sealed
        self.tokenLabel = tokenLabel
        self.objectLabel = objectLabel
    }

    /// Parses the stored bytes; nil when they are not this layout (wrong magic, version or
    /// lengths, bad labels, trailing bytes). Every length is checked before it is used.
    public init?(parsing bytes: [UInt8]) {
        let fixed = 5 + Self.ivLength + Self.sealedLength  // 65
        guard bytes.count >= fixed + 2, Array(bytes[0..<4]) == Self.magic, bytes[4] == Self.version else { return nil }
        let t = Int(bytes[fixed])
        guard (1...Self.maxTokenLabelLength).contains(t), bytes.count >= fixed + 1 + t + 1 else { return nil }
        let tokenBytes = Array(bytes[(fixed + 1)..<(fixed + 1 + t)])
        let o = Int(bytes[fixed + 1 + t])
        let objectStart = fixed + 2 + t
        guard (1...Self.maxObjectLabelLength).contains(o), bytes.count == objectStart + o else { return nil }
        let objectBytes = Array(bytes[objectStart...])
        guard Self.isLabel(tokenBytes, max: Self.maxTokenLabelLength), Self.isLabel(objectBytes, max: Self.maxObjectLabelLength),
              let token = String(validating: tokenBytes, as: UTF8.self), let object = String(validating: objectBytes, as: UTF8.self)
        else { return nil }
        self.iv = Array(bytes[5..<(5 + Self.ivLength)])
        self.sealed = Array(bytes[(5 + Self.ivLength)..<fixed])
        self.tokenLabel = token
        self.objectLabel = object
    }

    /// The stored bytes.
    public var bytes: [UInt8] {
        let token = Array(tokenLabel.utf8), object = Array(objectLabel.utf8)
        return Self.magic + [Self.version] + iv + sealed + [UInt8(token.count)] + token + [UInt8(object.count)] + object
    }

    /// The GCM additional data of a wrapped key (docs/FORMAT.md §16): the fields `coffer/pkcs11-dek/v1`,
    /// the purpose (`data-key`, or `audit-key` when `binding` is empty), the workspace
    /// `binding` and the data-key `version` (decimal), each as a u16 big-endian length and its
    /// UTF-8 bytes. The token checks it with the tag, so a wrapped key moved to another
    /// workspace, purpose or version does not unwrap.
    public static func associatedData(binding: String, version: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        for field in ["coffer/pkcs11-dek/v1", binding.isEmpty ? "audit-key" : "data-key", binding, String(version)] {
            let b = Array(field.utf8.prefix(0xffff))
            out += [UInt8(b.count >> 8), UInt8(b.count & 0xff)] + b
        }
        return out
    }

    private static func isLabel(_ bytes: [UInt8], max: Int) -> Bool {
        (1...max).contains(bytes.count) && !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f })
    }
}
