import CofferCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Validation and canonical JSON of the typed secret kinds (``SecretKind``).
///
/// Error messages name the offending field and rule, never any part of the value (not even
/// an unknown field's name, which could be a pasted secret).
enum CredentialCodec {
    /// Checks that `value` is the JSON form of `kind` and returns its canonical JSON (sorted
    /// keys, snake_case fields) with the expiry it states. `now` resolves `expires_in`.
    static func canonicalize(_ value: SecretBytes, kind: SecretKind, now: Date) throws -> (value: SecretBytes, expiresAt: Date?) {
        switch kind {
        case .raw:
            return (value, nil)
        case .oauthToken:
            let token = try oauthToken(from: try object(value, kind: kind), now: now)
            return (try encode(token), token.expiresAt)
        case .cloudCredentials:
            let credentials = try cloudCredentials(from: try object(value, kind: kind))
            return (try encode(credentials), credentials.expiresAt)
        case .webhookSecret:
            let secret = try webhookSecret(from: try object(value, kind: kind))
            return (try encode(secret), nil)
        }
    }

    /// Canonical JSON of a typed credential, in wiped memory (the intermediate `Data` is wiped).
    static func encode<T: Encodable>(_ credential: T) throws -> SecretBytes {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data: Data
        do {
            data = try encoder.encode(credential)
        } catch {
            throw VaultError.invalidValue("the credential cannot be encoded as JSON")
        }
        defer { wipe(&data) }
        return data.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// Decodes a stored canonical credential.
    static func decode<T: Decodable>(_ type: T.Type, from value: SecretBytes, kind: SecretKind) throws -> T {
        var data = value.withUnsafeBytes { Data($0) }
        defer { wipe(&data) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw VaultError.invalidValue("the stored value is not a valid \(kind.rawValue) JSON document")
        }
    }

    /// Overwrites `data` with zeros.
    static func wipe(_ data: inout Data) {
        data.withUnsafeMutableBytes { b in
            guard let p = b.baseAddress, b.count > 0 else { return }
            #if canImport(Darwin)
            _ = memset_s(p, b.count, 0, b.count)
            #else
            explicit_bzero(p, b.count)
            #endif
        }
    }

    // MARK: Parsing

    /// A parsed JSON value (a JSON number is kept apart from a JSON boolean).
    enum JSONValue: Decodable {
        case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSONValue].self)) }
        }
    }

    private static func object(_ value: SecretBytes, kind: SecretKind) throws -> [String: JSONValue] {
        var data = value.withUnsafeBytes { Data($0) }
        defer { wipe(&data) }
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw VaultError.invalidValue("a \(kind.rawValue) value must be a JSON object; the value is not valid JSON")
        }
        guard case .object(let fields) = parsed else {
            throw VaultError.invalidValue("a \(kind.rawValue) value must be a JSON object")
        }
        return fields
    }

    private static func checkKnown(_ fields: [String: JSONValue], allowed: [String], kind: SecretKind) throws {
        if fields.keys.contains(where: { !allowed.contains($0) }) {
            throw VaultError.invalidValue(
                "a \(kind.rawValue) value has an unknown field; allowed fields: \(allowed.joined(separator: ", "))")
        }
    }

    private static func requiredString(_ fields: [String: JSONValue], _ key: String) throws -> String {
        guard let v = fields[key], v.isPresent else { throw VaultError.invalidValue("\(key) is missing") }
        return try nonEmptyString(v, key)
    }

    private static func optionalString(_ fields: [String: JSONValue], _ key: String) throws -> String? {
        guard let v = fields[key], v.isPresent else { return nil }
        return try nonEmptyString(v, key)
    }

    private static func nonEmptyString(_ v: JSONValue, _ key: String) throws -> String {
        guard case .string(let s) = v else { throw VaultError.invalidValue("\(key) must be a string") }
        guard !s.isEmpty else { throw VaultError.invalidValue("\(key) must not be empty") }
        return s
    }

    private static func date(_ fields: [String: JSONValue], _ key: String) throws -> Date? {
        guard let v = fields[key], v.isPresent else { return nil }
        guard case .string(let s) = v, let d = RFC3339.parse(s) else {
            throw VaultError.invalidValue("\(key) must be an RFC 3339 date-time such as 2025-01-02T03:04:05Z")
        }
        return RFC3339.wholeSeconds(d)
    }

    private static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }

    // MARK: Kinds

    static func oauthToken(from fields: [String: JSONValue], now: Date) throws -> OAuthTokenSet {
        let kind = SecretKind.oauthToken
        try checkKnown(fields, allowed: ["access_token", "refresh_token", "token_type", "scopes", "scope", "expires_at", "expires_in"], kind: kind)
        let access = try requiredString(fields, "access_token")
        let refresh = try optionalString(fields, "refresh_token")
        var tokenType = try optionalString(fields, "token_type") ?? "Bearer"
        if tokenType.lowercased() == "bearer" { tokenType = "Bearer" }
        guard isToken(tokenType) else { throw VaultError.invalidValue("token_type must be a single word of printable ASCII") }

        var scopes: [String] = []
        let scopesGiven = fields["scopes"]?.isPresent ?? false
        let scopeGiven = fields["scope"]?.isPresent ?? false
        if scopesGiven && scopeGiven { throw VaultError.invalidValue("give either scopes (array) or scope (space-separated string), not both") }
        if scopesGiven {
            guard case .array(let items)? = fields["scopes"] else { throw VaultError.invalidValue("scopes must be an array of strings") }
            for item in items {
                guard case .string(let s) = item, isToken(s) else {
                    throw VaultError.invalidValue("scopes must be an array of non-empty strings without spaces")
                }
                scopes.append(s)
            }
        } else if scopeGiven {
            guard case .string(let s)? = fields["scope"] else { throw VaultError.invalidValue("scope must be a space-separated string") }
            scopes = s.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard scopes.allSatisfy(isToken) else { throw VaultError.invalidValue("scope must be a space-separated string of printable ASCII scopes") }
        }

        var expiresAt = try date(fields, "expires_at")
        if let v = fields["expires_in"], v.isPresent {
            if expiresAt != nil { throw VaultError.invalidValue("give either expires_at or expires_in, not both") }
            guard case .number(let seconds) = v, seconds.isFinite, seconds >= 0, seconds <= 100 * 365 * 86_400 else {
                throw VaultError.invalidValue("expires_in must be a non-negative number of seconds")
            }
            expiresAt = RFC3339.wholeSeconds(now.addingTimeInterval(seconds.rounded(.down)))
        }
        return OAuthTokenSet(accessToken: access, refreshToken: refresh, tokenType: tokenType, scopes: scopes, expiresAt: expiresAt)
    }

    static func cloudCredentials(from fields: [String: JSONValue]) throws -> CloudCredentials {
        try checkKnown(fields, allowed: ["access_key_id", "secret_access_key", "session_token", "expires_at"], kind: .cloudCredentials)
        let id = try requiredString(fields, "access_key_id")
        guard isToken(id) else { throw VaultError.invalidValue("access_key_id must be printable ASCII without spaces") }
        return CloudCredentials(
            accessKeyID: id,
            secretAccessKey: try requiredString(fields, "secret_access_key"),
            sessionToken: try optionalString(fields, "session_token"),
            expiresAt: try date(fields, "expires_at"))
    }

    static func webhookSecret(from fields: [String: JSONValue]) throws -> WebhookSecret {
        try checkKnown(fields, allowed: ["secret", "algorithm"], kind: .webhookSecret)
        let secret = try requiredString(fields, "secret")
        let algorithm = try optionalString(fields, "algorithm") ?? "hmac-sha256"
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard algorithm.utf8.count <= 32, algorithm.utf8.allSatisfy(allowed.contains) else {
            throw VaultError.invalidValue("algorithm must be 1-32 characters of a-z, 0-9, '-' and '_', such as hmac-sha256")
        }
        return WebhookSecret(secret: secret, algorithm: algorithm)
    }
}

extension CredentialCodec.JSONValue {
    /// False for JSON `null` (treated as an absent field).
    var isPresent: Bool { if case .null = self { return false } else { return true } }
}
