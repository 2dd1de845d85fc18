/// The key of a `pkcs11:` KEK URI (RFC 7512): which module to load, which token, which secret
/// key object, and where the user PIN comes from. Checked for shape before anything is loaded.
///
/// `pkcs11:token=LABEL;object=LABEL[;type=secret-key]?module-path=/ABS/PATH&pin-source=file:/ABS/PATH`
///
/// - Path attributes (`;`-separated): `token` (the token label, 1–32 bytes) and `object` (the
///   key's `CKA_LABEL`, 1–255 bytes) are required; `type` may only be `secret-key`. Values are
///   percent-decoded (RFC 7512 §2.3) and must be UTF-8 without control characters.
/// - Query attributes (`&`-separated): `module-path` (an absolute path, required) and exactly
///   one of `pin-source` (`file:/ABS/PATH` or `/ABS/PATH`) and `pin-value`. The provider
///   refuses `pin-value` unless tests allow it: a PIN in a URI ends up in shell histories.
///
/// Unknown attributes, repeated attributes and empty values are refused. No message and no
/// ``description`` ever contains a `pin-value`.
public struct PKCS11URI: Sendable, Hashable, CustomStringConvertible {
    /// Where the user PIN comes from.
    public enum PINSource: Sendable, Hashable {
        /// A file holding the PIN (one line; it must not be readable by group or others).
        case file(path: String)
        /// The PIN itself, from `pin-value` (test setups only).
        case value(String)
    }

    /// The token label (`CKA_LABEL` of the token, at most 32 bytes).
    public let token: String
    /// The secret key object's label (`CKA_LABEL`).
    public let object: String
    /// Absolute path of the PKCS#11 module (a shared library) to `dlopen`.
    public let modulePath: String
    /// Where the user PIN comes from.
    public let pin: PINSource

    /// Longest token label (the Cryptoki `CK_TOKEN_INFO.label` field is 32 bytes).
    public static let maxTokenLabelLength = 32
    /// Longest object label.
    public static let maxObjectLabelLength = 255
    /// Longest module or PIN file path.
    public static let maxPathLength = 4096
    /// Longest PIN.
    public static let maxPINLength = 256
    /// Longest URI accepted.
    public static let maxLength = 8192

    /// A URI from its parts (used by tests and `kek generate`); the parts are checked as the
    /// parser checks them.
    public init(token: String, object: String, modulePath: String, pin: PINSource) throws {
        try Self.checkLabel(token, "token", max: Self.maxTokenLabelLength)
        try Self.checkLabel(object, "object", max: Self.maxObjectLabelLength)
        try Self.checkPath(modulePath, "module-path")
        switch pin {
        case .file(let path): try Self.checkPath(path, "pin-source")
        case .value(let v):
            guard (1...Self.maxPINLength).contains(v.utf8.count), !v.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw CofferCryptoError.kekUnavailable("pkcs11: pin-value must be 1–\(Self.maxPINLength) bytes without control characters (not shown)")
            }
        }
        self.token = token
        self.object = object
        self.modulePath = modulePath
        self.pin = pin
    }

    /// Parses the part after `pkcs11:`.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` saying what is wrong, never
    ///   repeating a PIN.
    public init(parsing text: String) throws {
        let form = "pkcs11:token=LABEL;object=LABEL?module-path=/path/to/module.so&pin-source=file:/path/to/pin"
        guard text.utf8.count <= Self.maxLength else {
            throw CofferCryptoError.kekUnavailable("pkcs11: URI is longer than \(Self.maxLength) bytes; use \(form)")
        }
        let (pathPart, queryPart): (Substring, Substring) = {
            guard let q = text.firstIndex(of: "?") else { return (text[...], "") }
            return (text[..<q], text[text.index(after: q)...])
        }()
        let path = try Self.attributes(pathPart, separator: ";", kind: "path", allowed: ["token", "object", "type"], form: form)
        let query = queryPart.isEmpty
            ? [:] : try Self.attributes(queryPart, separator: "&", kind: "query", allowed: ["module-path", "pin-source", "pin-value"], form: form)
        if let type = path["type"], type != "secret-key" {
            throw CofferCryptoError.kekUnavailable("pkcs11: type must be secret-key (the KEK is an AES key)")
        }
        guard let token = path["token"], let object = path["object"] else {
            throw CofferCryptoError.kekUnavailable("pkcs11: token= and object= are required; use \(form)")
        }
        guard let module = query["module-path"] else {
            throw CofferCryptoError.kekUnavailable("pkcs11: module-path= is required (the token's PKCS#11 library); use \(form)")
        }
        let pin: PINSource
        switch (query["pin-source"], query["pin-value"]) {
        case (let source?, nil):
            pin = .file(path: source.hasPrefix("file:") ? String(source.dropFirst(5)) : source)
        case (nil, let value?):
            pin = .value(value)
        case (nil, nil):
            throw CofferCryptoError.kekUnavailable("pkcs11: pin-source=file:PATH is required (a file holding the user PIN, mode 0600)")
        case (.some, .some):
            throw CofferCryptoError.kekUnavailable("pkcs11: give pin-source or pin-value, not both")
        }
        try self.init(token: token, object: object, modulePath: module, pin: pin)
    }

    /// The key's name in its ``KEKIdentifier`` (provider `pkcs11`): the token label, a zero
    /// byte, and the object label (docs/FORMAT.md §4). The module path and the PIN are not part
    /// of it: the same key reached through another module path is the same KEK.
    public var keyName: String { token + "\u{0}" + object }

    /// The URI, safe to print: a `pin-value` is replaced by `pin-value=(hidden)`.
    public var description: String {
        let pinText: String
        switch pin {
        case .file(let path): pinText = "pin-source=file:" + Self.encode(path)
        case .value: pinText = "pin-value=(hidden)"
        }
        return "pkcs11:token=\(Self.encode(token));object=\(Self.encode(object))?module-path=\(Self.encode(modulePath))&\(pinText)"
    }

    /// The exact URI, which parses back to the same value. Holds a `pin-value` if one was
    /// given: never print it; print ``description``.
    public var text: String {
        switch pin {
        case .file: return description
        case .value(let v):
            return "pkcs11:token=\(Self.encode(token));object=\(Self.encode(object))?module-path=\(Self.encode(modulePath))&pin-value=\(Self.encode(v))"
        }
    }

    // MARK: Parsing helpers

    /// The `NAME=VALUE` attributes of one URI part, each name in `allowed` and given once.
    private static func attributes(
        _ part: Substring, separator: Character, kind: String, allowed: [String], form: String
    ) throws -> [String: String] {
        var out: [String: String] = [:]
        for text in part.split(separator: separator, omittingEmptySubsequences: false) {
            let (name, value) = try attribute(text, separator: separator, form: form)
            guard allowed.contains(name) else {
                throw CofferCryptoError.kekUnavailable(
                    "pkcs11: \(kind) attribute \"\(Redaction.shown(name))\" is not supported (use \(allowed.joined(separator: ", "))); use \(form)")
            }
            guard out.updateValue(value, forKey: name) == nil else {
                throw CofferCryptoError.kekUnavailable("pkcs11: attribute \(name) is given twice")
            }
        }
        return out
    }

    private static func attribute(_ text: Substring, separator: Character, form: String) throws -> (String, String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw CofferCryptoError.kekUnavailable("pkcs11: every attribute is NAME=VALUE separated by \"\(separator)\"; use \(form)")
        }
        let name = String(text[..<eq])
        guard let value = percentDecoded(text[text.index(after: eq)...]), !value.isEmpty else {
            // Not echoed: the value may be a PIN.
            throw CofferCryptoError.kekUnavailable(
                "pkcs11: attribute \(Redaction.shown(name)) has an empty value or a bad %-escape or is not UTF-8 (value not shown)")
        }
        return (name, value)
    }

    /// RFC 3986 percent-decoding; nil for a bad escape or bytes that are not UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var out: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let hi = KEKIdentifier.nibble(it.removeFirst()), let lo = KEKIdentifier.nibble(it.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters and `/` `:`.
    static func encode(_ s: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in s.utf8 {
            let plain = (65...90).contains(c) || (97...122).contains(c) || (48...57).contains(c)
                || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":")].contains(c)
            if plain { out.append(c) } else { out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 0x0f)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func checkLabel(_ label: String, _ name: String, max: Int) throws {
        guard (1...max).contains(label.utf8.count), !label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw CofferCryptoError.kekUnavailable("pkcs11: \(name) must be a label of 1–\(max) bytes without control characters")
        }
    }

    private static func checkPath(_ path: String, _ name: String) throws {
        guard path.hasPrefix("/"), path.utf8.count <= Self.maxPathLength, !path.utf8.contains(0) else {
            throw CofferCryptoError.kekUnavailable("pkcs11: \(name) must be an absolute path (at most \(Self.maxPathLength) bytes)")
        }
    }
}
