import Coffer
import CofferCrypto
import Foundation
import FuzzSupport

/// Typed credential JSON (oauth-token, cloud-credentials, webhook-secret) through
/// `SecretKind.canonicalJSON(of:now:)`, the validation `put` runs, and the `Decodable` the
/// typed getters read with. Input: one byte choosing the kind, then the value.
///
/// Invariants: validation throws only `VaultError.invalidValue`; canonical JSON is a fixed
/// point (validating it again gives the same bytes and expiry) and decodes as its type.
enum CredentialJSON {
    static let kinds: [SecretKind] = [.oauthToken, .cloudCredentials, .webhookSecret]
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    static func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let kind = kinds[Int(selector) % kinds.count]
        let canonical: (value: SecretBytes, expiresAt: Date?)
        do {
            canonical = try kind.canonicalJSON(of: SecretBytes(Array(input.dropFirst())), now: now)
        } catch VaultError.invalidValue {
            return
        } catch {
            return Fuzz.require(false, "validation threw an undocumented error: \(error)")
        }
        do {
            let again = try kind.canonicalJSON(of: canonical.value, now: now)
            Fuzz.require(again.value == canonical.value, "canonical JSON is not a fixed point")
            Fuzz.require(again.expiresAt == canonical.expiresAt, "canonical JSON states another expiry")
            let data = canonical.value.withUnsafeBytes { Data($0) }
            switch kind {
            case .oauthToken: _ = try JSONDecoder().decode(OAuthTokenSet.self, from: data)
            case .cloudCredentials: _ = try JSONDecoder().decode(CloudCredentials.self, from: data)
            case .webhookSecret: _ = try JSONDecoder().decode(WebhookSecret.self, from: data)
            case .raw: break
            }
        } catch {
            Fuzz.require(false, "canonical JSON does not validate or decode again: \(error)")
        }
    }

    static func seeds() throws -> [[UInt8]] {
        [
            (0, #"{"access_token":"at","refresh_token":"rt","token_type":"Bearer","scope":"a b","expires_in":3600}"#),
            (0, #"{"access_token":"at","scopes":["read","write"],"expires_at":"2026-01-01T00:00:00Z"}"#),
            (1, #"{"access_key_id":"AKIA","secret_access_key":"s","session_token":"t","expires_at":"2026-01-01T00:00:00.5+02:00"}"#),
            (1, #"{"access_key_id":"AKIA","secret_access_key":"s"}"#),
            (2, #"{"secret":"whsec","algorithm":"hmac-sha256"}"#),
        ].map { [UInt8($0.0)] + Array($0.1.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: CredentialJSON.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CredentialJSON.run(Fuzz.bytes(data, size))
    return 0
}
