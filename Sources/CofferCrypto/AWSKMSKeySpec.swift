/// The key of an `aws-kms:` KEK URI: a key ARN, an alias ARN, a key id or `alias/NAME`,
/// checked for shape before anything uses it (no network).
///
/// - Key ARN: `arn:PARTITION:kms:REGION:ACCOUNT:key/KEY_ID`
/// - Alias ARN: `arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME`
/// - Key id: a UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a multi-Region key id
///   (`mrk-` and 32 hex digits); the region then comes from the environment.
/// - `alias/NAME`: NAME of 1–250 characters `A–Z a–z 0–9 / _ -`.
///
/// Every accepted form is an identifier, never key material, so it is shown in full.
public struct AWSKMSKeySpec: Sendable, Hashable, CustomStringConvertible {
    /// The text as given (after the `aws-kms:` prefix).
    public let text: String
    /// The region named by an ARN, or nil for a key id or an alias name.
    public let region: String?

    /// Longest accepted key text.
    public static let maxLength = 2048

    /// Checks `text` (the part after `aws-kms:`).
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` saying which forms are accepted; the
    ///   text itself is not repeated (it may be a key pasted by mistake).
    public init(parsing text: String) throws {
        let forms = "a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), an alias ARN, a key id, or alias/NAME"
        guard !text.isEmpty else { throw CofferCryptoError.kekUnavailable("aws-kms: needs a key: \(forms)") }
        guard text.utf8.count <= Self.maxLength else {
            throw CofferCryptoError.kekUnavailable("aws-kms: key is longer than \(Self.maxLength) characters; use \(forms)")
        }
        if text.hasPrefix("arn:") {
            let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, Self.isLabel(parts[1]), parts[2] == "kms", Self.isLabel(parts[3]),
                  parts[4].count == 12, parts[4].utf8.allSatisfy({ (48...57).contains($0) }),
                  Self.isResource(parts[5])
            else {
                throw CofferCryptoError.kekUnavailable("aws-kms: the ARN is not a KMS key or alias ARN (\(text.utf8.count) characters, not shown); use \(forms)")
            }
            self.region = parts[3]
        } else if Self.isResource(text) && text.hasPrefix("alias/") || Self.isKeyID(text) {
            self.region = nil
        } else {
            throw CofferCryptoError.kekUnavailable("aws-kms: the key (\(text.utf8.count) characters, not shown) is not one of: \(forms)")
        }
        self.text = text
    }

    /// The key text as given.
    public var description: String { text }

    /// Whether the key is named through an alias (it is resolved to a key ARN by the KMS).
    public var isAlias: Bool { text.hasPrefix("alias/") || text.contains(":alias/") }

    private static func isLabel(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.utf8.allSatisfy { c in
            (97...122).contains(c) || (48...57).contains(c) || c == UInt8(ascii: "-")
        }
    }

    private static func isResource(_ s: String) -> Bool {
        if s.hasPrefix("key/") { return isKeyID(String(s.dropFirst(4))) }
        guard s.hasPrefix("alias/") else { return false }
        let name = s.dropFirst(6)
        return !name.isEmpty && name.utf8.count <= 250 && name.utf8.allSatisfy { c in
            (65...90).contains(c) || (97...122).contains(c) || (48...57).contains(c)
                || c == UInt8(ascii: "/") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    /// A UUID key id (8-4-4-4-12 hex digits) or a multi-Region key id (`mrk-` + 32 hex).
    private static func isKeyID(_ s: String) -> Bool {
        let hex: (UInt8) -> Bool = { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
        let u = Array(s.utf8)
        if s.hasPrefix("mrk-") { return u.count == 36 && u.dropFirst(4).allSatisfy(hex) }
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if [8, 13, 18, 23].contains(i) { if c != UInt8(ascii: "-") { return false } } else if !hex(c) { return false }
        }
        return true
    }
}
