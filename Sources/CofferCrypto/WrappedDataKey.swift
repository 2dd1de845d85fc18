/// A workspace data key (DEK) wrapped under a key-encryption key: a Coffer v1 ciphertext of
/// purpose ``EnvelopeContext/Purpose/wrappedDataKey``, bound to its workspace and data-key
/// version, together with the fingerprint of the KEK that wrapped it.
///
/// Not secret: it can be stored next to the values it protects. `Codable` as
/// `{"kekID": "kek-…", "ciphertext": [bytes…]}`.
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
}
