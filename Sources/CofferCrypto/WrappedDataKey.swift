import Foundation

/// A workspace data key (DEK) wrapped under a key-encryption key: a Coffer v1 ciphertext of
/// purpose ``EnvelopeContext/Purpose/wrappedDataKey``, bound to its workspace and data-key
/// version, together with the fingerprint of the KEK that wrapped it.
///
/// Not secret: it can be stored next to the values it protects. `Codable` as
/// `{"kekID": "kek-…", "ciphertext": "<base64>"}`.
public struct WrappedDataKey: Sendable, Hashable, Codable {
    /// Fingerprint of the KEK that wrapped the data key.
    public var kekID: KEKIdentifier
    /// The v1 ciphertext (header key id = ``KEKIdentifier/headerKeyID``).
    public var ciphertext: [UInt8]

    /// Pairs a wrapped-key ciphertext with the fingerprint of its KEK.
    public init(kekID: KEKIdentifier, ciphertext: [UInt8]) {
        self.kekID = kekID
        self.ciphertext = ciphertext
    }

    private enum CodingKeys: String, CodingKey { case kekID, ciphertext }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kekID = try c.decode(KEKIdentifier.self, forKey: .kekID)
        let text = try c.decode(String.self, forKey: .ciphertext)
        guard let bytes = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(forKey: .ciphertext, in: c, debugDescription: "ciphertext is not base64")
        }
        ciphertext = Array(bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kekID, forKey: .kekID)
        try c.encode(Data(ciphertext).base64EncodedString(), forKey: .ciphertext)
    }
}
