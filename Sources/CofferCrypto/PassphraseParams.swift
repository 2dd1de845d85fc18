import Foundation

/// The JSON parameters file of a ``PassphraseKEKProvider``: everything needed to derive the
/// same KEK from the same passphrase again, and to tell a wrong passphrase from a right one.
/// Nothing in it is secret, but it lets whoever holds it test passphrase guesses offline (at
/// the Argon2id cost it records), just as a wrapped data key does.
///
/// ```json
/// {"format":"coffer-passphrase-kek/v1","algorithm":"argon2id13","salt":"…base64…",
///  "opsLimit":3,"memLimitBytes":268435456,"kekID":"kek-…"}
/// ```
struct PassphraseParams: Codable, Equatable, Sendable {
    static let currentFormat = "coffer-passphrase-kek/v1"
    static let argon2id13 = "argon2id13"

    var format: String
    var algorithm: String
    /// Standard base64 of the 16-byte salt.
    var salt: String
    var opsLimit: UInt64
    var memLimitBytes: Int
    /// Fingerprint of the derived KEK.
    var kekID: KEKIdentifier

    init(salt: [UInt8], opsLimit: UInt64, memLimitBytes: Int, kekID: KEKIdentifier) {
        self.format = Self.currentFormat
        self.algorithm = Self.argon2id13
        self.salt = Data(salt).base64EncodedString()
        self.opsLimit = opsLimit
        self.memLimitBytes = memLimitBytes
        self.kekID = kekID
    }

    /// The decoded salt, after checking the format, algorithm and limits.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` naming `path` and the problem.
    func validatedSalt(path: String) throws -> [UInt8] {
        guard format == Self.currentFormat else {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(path) has unknown format \"\(format)\" (expected \(Self.currentFormat))")
        }
        guard algorithm == Self.argon2id13 else {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(path) names unknown algorithm \"\(algorithm)\" (expected \(Self.argon2id13))")
        }
        guard let bytes = Data(base64Encoded: salt), bytes.count == Argon2id.saltByteCount else {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(path) has a salt that is not base64 of \(Argon2id.saltByteCount) bytes")
        }
        if let why = Argon2id.parameterProblem(opsLimit: opsLimit, memLimit: memLimitBytes) {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(path) has unusable Argon2id parameters: \(why)")
        }
        return Array(bytes)
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> PassphraseParams {
        do {
            return try JSONDecoder().decode(PassphraseParams.self, from: Data(bytes))
        } catch {
            throw CofferCryptoError.kekUnavailable("passphrase params file \(path) is not valid: \(error)")
        }
    }
}
