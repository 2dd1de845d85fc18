import AsyncHTTPClient
import Coffer
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Calls a provider's token endpoint with the `refresh_token` grant (RFC 6749 section 6):
/// a form POST with the client authenticated by HTTP Basic, a JSON answer checked field by
/// field before anything of it is used.
struct ProviderClient: Sendable {
    /// The HTTP client (the process-wide shared one unless a test passes its own).
    var http: HTTPClient
    /// Deadline of one token-endpoint call; shorter than the refresh claim (BrokerConfiguration).
    var timeout: Duration

    /// Longest answer read, in bytes.
    static let maxAnswerBytes = 64 * 1024

    /// The answer of a token endpoint as sent.
    struct Answer: Decodable {
        var access_token: String?
        var token_type: String?
        var expires_in: Int64?
        var refresh_token: String?
        var scope: String?
    }

    /// Exchanges `current`'s refresh token for a new token set. A provider that does not rotate
    /// refresh tokens (no `refresh_token` in the answer) keeps the old one; one that sends no
    /// `scope` keeps the old scopes.
    /// - Throws: ``ProviderFailure``.
    func refresh(_ current: OAuthTokenSet, refreshToken: String, provider: OAuthProvider, name: String, now: @Sendable () -> Date, logger: Logger) async throws(ProviderFailure) -> OAuthTokenSet {
        var request = HTTPClientRequest(url: provider.tokenURL.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var form = "grant_type=refresh_token&refresh_token=\(Self.formEncoded(refreshToken))"
        if let secret = provider.clientSecret {
            let credentials = "\(Self.formEncoded(provider.clientID)):\(Self.formEncoded(secret))"
            request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        } else {
            form += "&client_id=\(Self.formEncoded(provider.clientID))"
        }
        request.body = .bytes(ByteBuffer(string: form))

        let status: HTTPResponseStatus
        var body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            status = response.status
            body = try await response.body.collect(upTo: Self.maxAnswerBytes)
        } catch {
            // The request may have reached the provider: the outcome is unknown.
            logger.warning("provider token endpoint unreachable", metadata: ["provider": "\(name)", "error.type": "\(type(of: error))"])
            throw ProviderFailure(message: "the token endpoint of provider '\(name)' did not answer", definite: false)
        }
        guard status == .ok else {
            // An OAuth error answer (invalid_grant, …): the refresh token was not exchanged.
            logger.warning("provider refused the refresh", metadata: ["provider": "\(name)", "status": "\(status.code)"])
            throw ProviderFailure(message: "provider '\(name)' refused the refresh (HTTP \(status.code)); the user may need to reconnect", definite: true)
        }
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let unusable = ProviderFailure(message: "provider '\(name)' answered the refresh with an unusable token set", definite: false)
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(bytes)),
              let access = answer.access_token
        else { throw unusable }
        do {
            try ConnectionInput.checkToken(access, field: "access_token")
            if let refresh = answer.refresh_token { try ConnectionInput.checkToken(refresh, field: "refresh_token") }
        } catch { throw unusable }
        let tokenType = answer.token_type ?? current.tokenType
        guard (1...32).contains(tokenType.utf8.count), tokenType.utf8.allSatisfy(ConnectionInput.isTokenChar) else { throw unusable }
        var expiresAt: Date?
        if let seconds = answer.expires_in {
            guard (1...ConnectionInput.maxExpiresIn).contains(seconds) else { throw unusable }
            expiresAt = Date(timeIntervalSince1970: (now().timeIntervalSince1970 + Double(seconds)).rounded(.down))
        }
        var scopes = current.scopes
        if let scope = answer.scope {
            guard scope.utf8.count <= 16 * 1024 else { throw unusable }
            scopes = scope.split(separator: " ").map(String.init)
        }
        return OAuthTokenSet(
            accessToken: access, refreshToken: answer.refresh_token ?? refreshToken, tokenType: tokenType,
            scopes: scopes, expiresAt: expiresAt)
    }

    /// `application/x-www-form-urlencoded` encoding of one value.
    static func formEncoded(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
