public import Coffer
import CofferInput
public import Foundation

/// The body of `PUT /workspaces/{ws}/connections/{name}`, checked: what a SaaS backend hands
/// the broker after an OAuth authorization-code exchange.
///
/// ```json
/// {"provider": "github", "access_token": "…", "refresh_token": "…",
///  "expires_in": 3600, "scopes": ["repo"], "token_type": "Bearer"}
/// ```
/// `expires_at` (RFC 3339) may replace `expires_in` (seconds from now); neither means the
/// access token does not expire and is never refreshed.
public struct ConnectionInput: Sendable {
    /// The provider the connection refreshes at (one of the broker's configured providers).
    public var provider: String
    /// The token set to store.
    public var token: OAuthTokenSet

    /// Longest request body accepted, in bytes.
    public static let maxBodyBytes = 64 * 1024
    /// Longest token accepted, in bytes.
    public static let maxTokenBytes = 8 * 1024
    /// Most scopes accepted.
    public static let maxScopes = 64
    /// Longest `expires_in` accepted: 10 years.
    public static let maxExpiresIn: Int64 = 10 * 365 * 86_400

    /// The JSON as sent; every field optional so a missing one is a 400 naming it.
    struct Wire: Decodable {
        var provider: String?
        var access_token: String?
        var refresh_token: String?
        var token_type: String?
        var scopes: [String]?
        var expires_in: Int64?
        var expires_at: String?
    }

    /// Parses and checks `body` (UTF-8 JSON).
    /// - Parameters:
    ///   - providers: the configured provider names.
    ///   - now: the current time, for `expires_in`.
    /// - Throws: ``BrokerError`` 400 naming the field and the rule; never repeats a value.
    public init(json body: [UInt8], providers: Set<String>, now: Date) throws(BrokerError) {
        guard body.count <= Self.maxBodyBytes else { throw .badRequest("the body is larger than \(Self.maxBodyBytes) bytes") }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch {
            // The decoder's message may quote the input: say only what is expected.
            throw .badRequest("the body must be a JSON object with provider, access_token and optional refresh_token, "
                + "token_type, scopes (array of strings), expires_in (integer seconds) or expires_at (RFC 3339)")
        }
        guard let provider = wire.provider, providers.contains(provider) else {
            throw .badRequest("provider must be one of the configured providers: \(providers.sorted().joined(separator: ", "))")
        }
        guard let access = wire.access_token else { throw .badRequest("access_token is required") }
        try Self.checkToken(access, field: "access_token")
        if let refresh = wire.refresh_token { try Self.checkToken(refresh, field: "refresh_token") }
        let tokenType = wire.token_type ?? "Bearer"
        guard (1...32).contains(tokenType.utf8.count), tokenType.utf8.allSatisfy(Self.isTokenChar) else {
            throw .badRequest("token_type must be 1 to 32 characters from A-Z a-z 0-9 - . _ ~ + /")
        }
        let scopes = wire.scopes ?? []
        guard scopes.count <= Self.maxScopes else { throw .badRequest("scopes may hold at most \(Self.maxScopes) entries") }
        for scope in scopes {
            // RFC 6749 3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
            guard (1...256).contains(scope.utf8.count),
                  scope.utf8.allSatisfy({ $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) })
            else {
                throw .badRequest("every scope must be 1 to 256 printable ASCII characters without space, '\"' or '\\'")
            }
        }
        var expiresAt: Date?
        switch (wire.expires_in, wire.expires_at) {
        case (.some, .some):
            throw .badRequest("give expires_in or expires_at, not both")
        case (let seconds?, nil):
            guard (1...Self.maxExpiresIn).contains(seconds) else {
                throw .badRequest("expires_in must be between 1 and \(Self.maxExpiresIn) seconds")
            }
            expiresAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(seconds)).rounded(.down))
        case (nil, let text?):
            do {
                expiresAt = try TimestampParser.parse(text)
            } catch {
                throw .badRequest("expires_at \(error.message)")
            }
        case (nil, nil):
            expiresAt = nil
        }
        self.provider = provider
        self.token = OAuthTokenSet(accessToken: access, refreshToken: wire.refresh_token, tokenType: tokenType, scopes: scopes, expiresAt: expiresAt)
    }

    /// A token: 1 to ``maxTokenBytes`` printable ASCII bytes (what RFC 6749 allows, %x20-7E,
    /// without the space, which no provider issues).
    static func checkToken(_ token: String, field: String) throws(BrokerError) {
        guard (1...maxTokenBytes).contains(token.utf8.count), token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .badRequest("\(field) must be 1 to \(maxTokenBytes) printable ASCII characters without spaces")
        }
    }

    /// RFC 6750 `b64token`-ish characters, for the token type.
    static func isTokenChar(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
            || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "~")
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "/")
    }
}
