/// A parsed KEK provider URI: where a key-encryption key comes from.
///
/// Accepted forms (see ``acceptedForms``):
/// - `file:PATH` (also `file://` + an absolute path): a key file, see ``FileKEKProvider``;
/// - `env:VARIABLE`: an environment variable holding base64, see ``EnvironmentKEKProvider``;
/// - `passphrase` or `passphrase:PARAMS_PATH`: a passphrase-derived KEK, see
///   ``PassphraseKEKProvider``; without a path the caller's default parameters file is used.
///
/// - `aws-kms:KEY`: a key in AWS KMS (or a KMS-compatible endpoint), KEY being a key ARN, an
///   alias ARN, a key id or `alias/NAME` (see ``AWSKMSKeySpec``); the provider itself is
///   `AWSKMSKEKProvider` in the `CofferAWSKMS` module.
///
/// - `pkcs11:…`: a secret key in a PKCS#11 token (RFC 7512 URI, see ``PKCS11URI``); the
///   provider itself is `PKCS11KEKProvider` in the `CofferPKCS11` module.
///
/// The scheme `kms:` is reserved for providers that later versions will add
/// and are reported as not supported by this build.
public enum KEKProviderURI: Sendable, Hashable, CustomStringConvertible {
    /// `file:PATH`.
    case file(path: String)
    /// `env:VARIABLE`.
    case environment(variable: String)
    /// `passphrase` (nil) or `passphrase:PARAMS_PATH`.
    case passphrase(paramsPath: String?)
    /// `aws-kms:KEY`.
    case awsKMS(AWSKMSKeySpec)
    /// `pkcs11:token=…;object=…?module-path=…&pin-source=…`.
    case pkcs11(PKCS11URI)

    /// The forms ``init(parsing:)`` accepts, for help and error texts.
    public static let acceptedForms = ["file:PATH", "env:VARIABLE", "passphrase", "passphrase:PARAMS_PATH", "aws-kms:KEY",
        "pkcs11:token=LABEL;object=LABEL?module-path=PATH&pin-source=file:PATH"]
    /// Schemes reserved for providers that later versions will add.
    public static let reservedSchemes = ["kms"]

    /// Parses `text`.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` listing the accepted forms; the
    ///   message never repeats a part of `text` that may be key material (``Redaction``).
    public init(parsing text: String) throws {
        let forms = Self.acceptedForms.joined(separator: ", ")
        if text == "passphrase" {
            self = .passphrase(paramsPath: nil)
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            if Redaction.mayBeKeyMaterial(text) {
                throw CofferCryptoError.kekUnavailable(
                    "the KEK setting is not a KEK provider URI, and looks like a key itself (\(text.utf8.count) characters, not shown): "
                        + "put the key in a file or variable and name that instead, with one of: \(forms)")
            }
            throw CofferCryptoError.kekUnavailable("\"\(text)\" is not a KEK provider URI; use one of: \(forms)")
        }
        let scheme = text[..<colon].lowercased()
        var rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "file":
            if rest.hasPrefix("//") {
                rest.removeFirst(2)
                guard rest.hasPrefix("/") else {
                    throw CofferCryptoError.kekUnavailable("file:// must be followed by an absolute path, as in file:///etc/coffer/kek (or use file:PATH)")
                }
            }
            guard !rest.isEmpty else { throw CofferCryptoError.kekUnavailable("file: needs a path, as in file:/etc/coffer/kek") }
            self = .file(path: rest)
        case "env":
            guard Self.isVariableName(rest) else {
                throw CofferCryptoError.kekUnavailable(
                    "env: needs an environment variable name (letters, digits, _; not starting with a digit), as in env:COFFER_KEK_B64")
            }
            self = .environment(variable: rest)
        case "passphrase":
            self = .passphrase(paramsPath: rest.isEmpty ? nil : rest)
        case "aws-kms":
            self = .awsKMS(try AWSKMSKeySpec(parsing: rest))
        case "pkcs11":
            self = .pkcs11(try PKCS11URI(parsing: rest))
        case _ where Self.reservedSchemes.contains(scheme):
            throw CofferCryptoError.kekUnavailable("\(scheme): KEK providers are not supported by this build yet; use one of: \(forms)")
        default:
            throw CofferCryptoError.kekUnavailable("unknown KEK provider scheme \"\(Redaction.shown(scheme)):\"; use one of: \(forms)")
        }
    }

    /// The URI text, safe to print: a path or variable name that looks like key material
    /// (``Redaction``) is replaced by a placeholder. Use ``text`` for the exact URI.
    public var description: String {
        switch self {
        case .file(let path) where path.hasPrefix("//"): return "file://\(Redaction.shown(path))"
        case .file(let path): return "file:\(Redaction.shown(path))"
        case .environment(let variable): return "env:\(Redaction.shown(variableName: variable))"
        case .passphrase(nil): return "passphrase"
        case .passphrase(let path?): return "passphrase:\(Redaction.shown(path))"
        case .awsKMS(let key): return "aws-kms:\(key)"
        case .pkcs11(let uri): return uri.description
        }
    }

    /// The exact URI text, which parses back to the same URI. It may hold key material pasted
    /// by mistake (a key given as a path): never print it; print ``description``.
    public var text: String {
        switch self {
        // A path starting with "//" is written with "file://" in front, since "file://" + path
        // would otherwise read as the "file://" form and lose two slashes.
        case .file(let path) where path.hasPrefix("//"): return "file://\(path)"
        case .file(let path): return "file:\(path)"
        case .environment(let variable): return "env:\(variable)"
        case .passphrase(nil): return "passphrase"
        case .passphrase(let path?): return "passphrase:\(path)"
        case .awsKMS(let key): return "aws-kms:\(key)"
        case .pkcs11(let uri): return uri.text
        }
    }

    /// The text of a KEK URI as it may be printed (in a message or a log): the parsed URI's
    /// ``description`` when `text` parses, otherwise the scheme alone, or a placeholder when
    /// even that may be key material. Never the raw text of a value that may be a key.
    public static func redacted(_ text: String) -> String {
        if let uri = try? KEKProviderURI(parsing: text) { return uri.description }
        guard let colon = text.firstIndex(of: ":") else { return Redaction.shown(text) }
        return Redaction.shown(text[..<colon]) + ":…"
    }

    private static func isVariableName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return s.utf8.allSatisfy { c in
            c == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
        }
    }
}
