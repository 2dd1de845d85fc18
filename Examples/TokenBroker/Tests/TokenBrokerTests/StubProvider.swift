import Foundation
import Hummingbird
import Synchronization

/// A stub OAuth provider: `POST /token` with the refresh_token grant issues a new access
/// token and a new refresh token (rotation), counts every use of every refresh token and
/// answers a reuse with 400 invalid_grant, as real providers do (a reuse revokes the grant).
final class StubProvider: Sendable {
    struct State {
        var uses: [String: Int] = [:]
        var valid: Set<String> = []
        var issued = 0
    }

    private let state = Mutex(State())
    /// How long the endpoint takes to answer, to widen the window in which requests overlap.
    let delay: Duration
    /// The client the broker must authenticate as.
    static let clientID = "broker-client"
    static let clientSecret = "stub-client-secret-9f1c"

    init(delay: Duration = .milliseconds(200)) {
        self.delay = delay
    }

    /// Makes `token` a refresh token the provider accepts once.
    func register(refreshToken token: String) {
        state.withLock { _ = $0.valid.insert(token) }
    }

    /// Uses of each refresh token so far.
    var uses: [String: Int] { state.withLock { $0.uses } }
    /// Refresh requests so far (successful or not).
    var requests: Int { state.withLock { $0.uses.values.reduce(0, +) } }

    /// The application serving `/token`.
    func application() -> some ApplicationProtocol {
        let router = Router()
        router.post("/token") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 * 1024)
            let form = Self.form(String(buffer: body))
            let expectedAuth = "Basic " + Data("\(Self.clientID):\(Self.clientSecret)".utf8).base64EncodedString()
            guard request.headers[.authorization] == expectedAuth else { return Self.json(["error": "invalid_client"], status: .unauthorized) }
            guard form["grant_type"] == "refresh_token", let presented = form["refresh_token"] else {
                return Self.json(["error": "unsupported_grant_type"], status: .badRequest)
            }
            let issued: (access: String, refresh: String)? = self.state.withLock { state in
                state.uses[presented, default: 0] += 1
                guard state.valid.remove(presented) != nil else { return nil }
                state.issued += 1
                let pair = (Self.randomToken("sat"), Self.randomToken("srt"))
                state.valid.insert(pair.1)
                return pair
            }
            try await Task.sleep(for: self.delay)
            guard let issued else { return Self.json(["error": "invalid_grant"], status: .badRequest) }
            return Self.json([
                "access_token": issued.access, "refresh_token": issued.refresh, "token_type": "Bearer",
                "expires_in": 3600, "scope": "repo read:user",
            ], status: .ok)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// A distinctive random token, so a search of the logs cannot match by accident.
    static func randomToken(_ prefix: String) -> String {
        prefix + "-" + (0..<24).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }

    /// Refresh tokens issued so far.
    var issued: Int { state.withLock { $0.issued } }

    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { out[parts[0]] = parts[1] }
        }
        return out
    }

    static func json(_ value: [String: any Sendable], status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
