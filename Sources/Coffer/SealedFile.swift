public import CofferCrypto
public import Foundation

/// One secret sealed into a self-contained, human-readable JSON document: a fresh data key
/// (DEK) wrapped by the KEK, and the value sealed under that DEK, both in Coffer format v1.
///
/// Every field that matters is authenticated: the workspace, name and secret version are the
/// AAD of the value, and the workspace and DEK version are the AAD of the wrapped DEK, so
/// editing any of them (or pasting the ciphertext into another document) makes ``open(kek:)``
/// fail with `CofferCryptoError/authenticationFailed`.
public struct SealedFile: Sendable, Equatable, Codable {
    /// The `format` field of every sealed file.
    public static let formatName = "coffer-sealed-file"
    /// The `formatVersion` this build writes and reads.
    public static let currentFormatVersion = 1

    /// Always ``formatName`` (`coffer-sealed-file`); ``open(kek:)`` refuses anything else with
    /// `CofferCryptoError/malformedHeader(_:)`.
    public var format: String
    /// The document's format version; this build writes and reads only ``currentFormatVersion``
    /// (1) and refuses others with `CofferCryptoError/malformedHeader(_:)`.
    public var formatVersion: Int
    /// Workspace the value belongs to (authenticated).
    public var workspace: String
    /// Secret name (authenticated).
    public var name: String
    /// Secret version (authenticated).
    public var secretVersion: UInt32
    /// Version of the data key that sealed the value (authenticated with the wrapped DEK).
    public var dataKeyVersion: UInt32
    /// Fingerprint of the KEK that wrapped the data key.
    public var kekID: KEKIdentifier
    /// The wrapped data key, base64 (a v1 ciphertext of purpose "wrapped data key").
    public var wrappedDataKey: String
    /// The sealed value, base64 (a v1 ciphertext of purpose "secret value").
    public var ciphertext: String

    /// Seals `value` under a fresh data key wrapped by `kek`.
    public static func seal(
        _ value: SecretBytes, workspace: String, name: String, secretVersion: UInt32 = 1,
        kek: any KeyEncryptionKeyProvider
    ) async throws -> SealedFile {
        let dataKeyVersion: UInt32 = 1
        let dek = SymmetricKey.generate()
        let wrapped = try await kek.wrap(dek, workspace: workspace, dataKeyVersion: dataKeyVersion)
        let key = try EnvelopeKey(dek, id: dataKeyVersion)
        let sealed = try key.seal(value, context: .secret(workspace: workspace, name: name, version: secretVersion))
        return SealedFile(
            format: formatName, formatVersion: currentFormatVersion,
            workspace: workspace, name: name, secretVersion: secretVersion,
            dataKeyVersion: dataKeyVersion, kekID: wrapped.kekID,
            wrappedDataKey: Data(wrapped.ciphertext).base64EncodedString(),
            ciphertext: Data(sealed).base64EncodedString())
    }

    /// Unwraps the data key with `kek` and opens the value.
    /// - Throws: `CofferCryptoError/authenticationFailed` when the document was altered or
    ///   `kek` is not the key it was sealed for; `CofferCryptoError/malformedHeader(_:)` when
    ///   it is not a sealed file this build can read.
    public func open(kek: any KeyEncryptionKeyProvider) async throws -> SecretBytes {
        guard format == Self.formatName, formatVersion == Self.currentFormatVersion else {
            throw CofferCryptoError.malformedHeader(
                "not a \(Self.formatName) version \(Self.currentFormatVersion) document")
        }
        guard let wrappedBytes = Data(base64Encoded: wrappedDataKey), let sealedBytes = Data(base64Encoded: ciphertext) else {
            throw CofferCryptoError.authenticationFailed
        }
        let dek = try await kek.unwrap(
            WrappedDataKey(kekID: kekID, ciphertext: Array(wrappedBytes)),
            workspace: workspace, dataKeyVersion: dataKeyVersion)
        let key = try EnvelopeKey(dek, id: dataKeyVersion)
        return try key.open(Array(sealedBytes), context: .secret(workspace: workspace, name: name, version: secretVersion))
    }

    /// Encodes the document as pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes a document; throws `CofferCryptoError/malformedHeader(_:)` for anything that
    /// is not a sealed-file JSON document.
    public static func decode(from data: Data) throws -> SealedFile {
        do {
            return try JSONDecoder().decode(SealedFile.self, from: data)
        } catch {
            throw CofferCryptoError.malformedHeader("not a \(formatName) JSON document")
        }
    }
}
