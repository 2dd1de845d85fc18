import Coffer
import CofferCrypto
import Foundation
import Testing

/// OAuth token sets, cloud credentials and webhook secrets: canonical JSON, validation,
/// redaction; value size limits.
@Suite("Typed credentials and value limits")
struct TypedCredentialTests {
    static let marker = "SECRET-MARKER-9f3a"

    @Test("typed kinds round trip and are stored as canonical JSON")
    func roundTrip() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        let expiry = Date(timeIntervalSince1970: 1_900_000_000)

        let token = OAuthTokenSet(accessToken: "at-\(Self.marker)", refreshToken: "rt-\(Self.marker)", scopes: ["repo", "read:org"], expiresAt: expiry)
        let tokenInfo = try await w.putOAuthToken("gh", token, labels: ["provider": "github"])
        #expect(tokenInfo.metadata == SecretMetadata(kind: .oauthToken, contentType: "application/json", labels: ["provider": "github"], expiresAt: expiry))
        let readToken = try await w.oauthToken("gh")
        #expect(readToken.token == token && readToken.info.version == 1)
        #expect(text(try await w.get("gh").value) ==
            #"{"access_token":"at-SECRET-MARKER-9f3a","expires_at":"2030-03-17T17:46:40Z","refresh_token":"rt-SECRET-MARKER-9f3a","scopes":["repo","read:org"],"token_type":"Bearer"}"#)

        let cloud = CloudCredentials(accessKeyID: "AKIAEXAMPLE", secretAccessKey: "sk-\(Self.marker)", sessionToken: "st-\(Self.marker)", expiresAt: expiry)
        let cloudInfo = try await w.putCloudCredentials("aws", cloud)
        #expect(cloudInfo.metadata.kind == .cloudCredentials && cloudInfo.metadata.expiresAt == expiry)
        #expect(try await w.cloudCredentials("aws").credentials == cloud)
        #expect(text(try await w.get("aws").value) ==
            #"{"access_key_id":"AKIAEXAMPLE","expires_at":"2030-03-17T17:46:40Z","secret_access_key":"sk-SECRET-MARKER-9f3a","session_token":"st-SECRET-MARKER-9f3a"}"#)

        let hook = WebhookSecret(secret: "whsec-\(Self.marker)")
        let hookInfo = try await w.putWebhookSecret("stripe", hook)
        #expect(hookInfo.metadata.kind == .webhookSecret && hookInfo.metadata.contentType == "application/json")
        #expect(try await w.webhookSecret("stripe").secret == hook)
        #expect(text(try await w.get("stripe").value) == #"{"algorithm":"hmac-sha256","secret":"whsec-SECRET-MARKER-9f3a"}"#)

        // Minimal forms: optional fields omitted.
        let bare = CloudCredentials(accessKeyID: "AKIA2", secretAccessKey: "sk2")
        try await w.putCloudCredentials("bare", bare)
        #expect(text(try await w.get("bare").value) == #"{"access_key_id":"AKIA2","secret_access_key":"sk2"}"#)
        #expect(try await w.cloudCredentials("bare").credentials == bare)

        // Reading as the wrong kind.
        await #expect(throws: VaultError.self) { try await w.cloudCredentials("gh") }
        try await w.put("raw", value: bytes("not json"))
        await #expect(throws: VaultError.self) { try await w.oauthToken("raw") }
        await #expect(throws: VaultError.self) { try await w.webhookSecret("aws") }
    }

    @Test("descriptions never show secret fields")
    func redaction() {
        let token = OAuthTokenSet(accessToken: "at-\(Self.marker)", refreshToken: "rt-\(Self.marker)", scopes: ["repo"])
        let cloud = CloudCredentials(accessKeyID: "AKIAVISIBLE", secretAccessKey: "sk-\(Self.marker)", sessionToken: "st-\(Self.marker)")
        let hook = WebhookSecret(secret: "wh-\(Self.marker)", algorithm: "hmac-sha512")
        for text in ["\(token)", "\(cloud)", "\(hook)", String(reflecting: token), String(reflecting: cloud), String(reflecting: hook)] {
            #expect(!text.contains(Self.marker))
        }
        #expect("\(cloud)".contains("AKIAVISIBLE"))
        #expect("\(hook)".contains("hmac-sha512"))
        #expect("\(token)".contains("repo"))
    }

    @Test("raw puts of a typed kind accept the input forms and store canonical JSON")
    func inputForms() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        let json = #"{"access_token":"at","token_type":"bearer","scope":"read  write","expires_in":3600,"refresh_token":null}"#
        let info = try await w.put("t", value: bytes(json), metadata: SecretMetadata(kind: .oauthToken))
        let expected = Date(timeIntervalSince1970: (f.clock.now.timeIntervalSince1970 + 3600).rounded(.down))
        #expect(info.metadata.expiresAt == expected && info.metadata.contentType == "application/json")
        let (token, _) = try await w.oauthToken("t")
        #expect(token == OAuthTokenSet(accessToken: "at", refreshToken: nil, tokenType: "Bearer", scopes: ["read", "write"], expiresAt: expected))
        #expect(text(try await w.get("t").value) == #"{"access_token":"at","expires_at":"2027-01-15T09:00:00Z","scopes":["read","write"],"token_type":"Bearer"}"#)

        // An explicit metadata expiry wins; an offset date is normalised to UTC whole seconds.
        let mine = Date(timeIntervalSince1970: 1_234_567_890)
        let json2 = #"{"access_key_id":"AKIA","secret_access_key":"sk","expires_at":"2030-01-01T02:00:00.750+02:00"}"#
        let info2 = try await w.put("c", value: bytes(json2), metadata: SecretMetadata(kind: .cloudCredentials, expiresAt: mine))
        #expect(info2.metadata.expiresAt == mine)
        #expect(text(try await w.get("c").value) == #"{"access_key_id":"AKIA","expires_at":"2030-01-01T00:00:00Z","secret_access_key":"sk"}"#)
    }

    @Test("invalid JSON for each kind is rejected without echoing the value", arguments: [
        (SecretKind.oauthToken, "not json SECRET-MARKER-9f3a", "JSON"),
        (.oauthToken, #"["SECRET-MARKER-9f3a"]"#, "JSON object"),
        (.oauthToken, #"{"refresh_token":"SECRET-MARKER-9f3a"}"#, "access_token is missing"),
        (.oauthToken, #"{"access_token":""}"#, "access_token must not be empty"),
        (.oauthToken, #"{"access_token":42}"#, "access_token must be a string"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","scopes":"a b"}"#, "scopes must be an array"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","scopes":["a b"]}"#, "scopes must be an array"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","scopes":["a"],"scope":"a"}"#, "not both"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","expires_at":"tomorrow"}"#, "expires_at must be an RFC 3339"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","expires_in":-5}"#, "expires_in"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","expires_in":true}"#, "expires_in"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","expires_in":60,"expires_at":"2030-01-01T00:00:00Z"}"#, "not both"),
        (.oauthToken, #"{"access_token":"SECRET-MARKER-9f3a","SECRET-MARKER-9f3a":"x"}"#, "unknown field"),
        (.cloudCredentials, #"{"secret_access_key":"SECRET-MARKER-9f3a"}"#, "access_key_id is missing"),
        (.cloudCredentials, #"{"access_key_id":"AKIA"}"#, "secret_access_key is missing"),
        (.cloudCredentials, #"{"access_key_id":"AKIA","secret_access_key":"SECRET-MARKER-9f3a","session_token":7}"#, "session_token must be a string"),
        (.cloudCredentials, #"{"access_key_id":"AKIA","secret_access_key":"SECRET-MARKER-9f3a","expires_at":"2030-13-01T00:00:00Z"}"#, "expires_at"),
        (.webhookSecret, #"{"algorithm":"hmac-sha256"}"#, "secret is missing"),
        (.webhookSecret, #"{"secret":"SECRET-MARKER-9f3a","algorithm":"HMAC SHA256"}"#, "algorithm must be"),
        (.webhookSecret, #"{"secret":["SECRET-MARKER-9f3a"]}"#, "secret must be a string"),
    ])
    func invalidJSON(kind: SecretKind, json: String, expected: String) async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        do {
            try await w.put("bad", value: bytes(json), metadata: SecretMetadata(kind: kind))
            Issue.record("accepted invalid \(kind.rawValue) value")
        } catch let error as VaultError {
            guard case .invalidValue(let message) = error else { Issue.record("expected invalidValue, got \(error)"); return }
            #expect(message.contains(expected), "message: \(message)")
            #expect(!message.contains(Self.marker) && !"\(error)".contains(Self.marker))
        }
        await #expect(throws: VaultError.secretNotFound(workspace: "w", name: "bad")) { try await w.get("bad") }
    }

    @Test("typed puts validate the struct the same way")
    func typedValidation() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        await #expect(throws: VaultError.self) { try await w.putOAuthToken("t", OAuthTokenSet(accessToken: "")) }
        await #expect(throws: VaultError.self) { try await w.putOAuthToken("t", OAuthTokenSet(accessToken: "a", scopes: ["has space"])) }
        await #expect(throws: VaultError.self) { try await w.putCloudCredentials("c", CloudCredentials(accessKeyID: "A", secretAccessKey: "")) }
        await #expect(throws: VaultError.self) { try await w.putWebhookSecret("h", WebhookSecret(secret: "s", algorithm: "")) }
        #expect(try await w.list().isEmpty)
    }

    @Test("value size limits")
    func sizeLimits() async throws {
        let f = try VaultFixture()
        try await f.vault.createWorkspace("w")
        let w = try f.vault.workspace("w")
        await #expect(throws: VaultError.emptyValue) { try await w.put("n", value: SecretBytes([])) }
        let limit = 1 << 20
        #expect(f.configuration.maxValueBytes == limit)
        try await w.put("max", value: SecretBytes([UInt8](repeating: 7, count: limit)))
        #expect(try await w.get("max").value.count == limit)
        await #expect(throws: VaultError.valueTooLarge(limit: limit)) {
            try await w.put("over", value: SecretBytes([UInt8](repeating: 7, count: limit + 1)))
        }

        let small = try VaultFixture { $0.maxValueBytes = 16 }
        try await small.vault.createWorkspace("w")
        let s = try small.vault.workspace("w")
        try await s.put("n", value: SecretBytes([UInt8](repeating: 1, count: 16)))
        await #expect(throws: VaultError.valueTooLarge(limit: 16)) { try await s.put("n", value: SecretBytes([UInt8](repeating: 1, count: 17))) }
        // The canonical form of a typed value counts too.
        await #expect(throws: VaultError.valueTooLarge(limit: 16)) { try await s.putWebhookSecret("h", WebhookSecret(secret: "s")) }
        #expect(try await s.history("n").map(\.version) == [1])
    }
}
