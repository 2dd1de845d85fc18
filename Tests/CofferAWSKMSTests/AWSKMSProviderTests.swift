@testable import CofferAWSKMS
import CofferCrypto
import CofferInput
import Foundation
import InMemoryLogging
import Logging
import CofferTestSupport
import Testing

/// The provider against a real KMS-compatible endpoint on loopback (moto_server), through
/// async-http-client: round trips, the encryption-context binding, wrong and unusable keys,
/// an unreachable endpoint, and injected throttling and server errors.
@Suite(.enabled(if: LocalKMS.available, "COFFER_TEST_KMS_URL is not set: start moto with scripts/kms.sh"))
struct AWSKMSProviderTests {
    static let binding = "acme#0123456789abcdef0123456789abcdef"

    @Test func generateWrapUnwrapRoundTrip() async throws {
        let arn = try await LocalKMS.createKey()
        let kek = try LocalKMS.provider(key: arn)
        let id = try await kek.keyID()
        #expect(id == (try KEKIdentifier(externalKey: arn, provider: "aws-kms")))

        // GenerateDataKey: the key comes from KMS, wrapped in the same call.
        let (dek, wrapped) = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        #expect(wrapped.kekID == id)
        let parsed = try #require(AWSKMSWrappedKey(parsing: wrapped.ciphertext))
        #expect(parsed.keyARN == arn)
        #expect(try await kek.unwrap(wrapped, workspace: Self.binding, dataKeyVersion: 1) == dek)

        // Encrypt of a key we hold (KEK rotation).
        let mine = SymmetricKey.generate()
        let wrappedMine = try await kek.wrap(mine, workspace: Self.binding, dataKeyVersion: 2)
        #expect(try await kek.unwrap(wrappedMine, workspace: Self.binding, dataKeyVersion: 2) == mine)
        // Audit keys (empty binding) round-trip too.
        let audit = try await kek.wrap(mine, workspace: "", dataKeyVersion: 1)
        #expect(try await kek.unwrap(audit, workspace: "", dataKeyVersion: 1) == mine)

        let counts = kek.client.callCounts
        #expect(counts.describeKey == 1)
        #expect(counts.generateDataKey == 1)
        #expect(counts.encrypt == 2)
        #expect(counts.decrypt == 3)
        #expect(counts.retries == 0 && counts.failures == 0)
    }

    @Test func aliasResolvesToTheKeyARN() async throws {
        let arn = try await LocalKMS.createKey()
        let alias = "alias/coffer-\(UUID().uuidString.prefix(8).lowercased())"
        try await LocalKMS.createAlias(alias, for: arn)
        let byAlias = try LocalKMS.provider(key: alias)
        let byARN = try LocalKMS.provider(key: arn)
        #expect(try await byAlias.keyID() == (try await byARN.keyID()))
        let (dek, wrapped) = try await byAlias.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        #expect(try await byARN.unwrap(wrapped, workspace: Self.binding, dataKeyVersion: 1) == dek)
    }

    @Test func aWrappedKeyMovedToAnotherBindingOrVersionDoesNotUnwrap() async throws {
        let kek = try LocalKMS.provider(key: try await LocalKMS.createKey())
        let (_, wrapped) = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 3)
        for (binding, version) in [("other#0123456789abcdef0123456789abcdef", UInt32(3)), (Self.binding, 4), ("", 3)] {
            await #expect(throws: CofferCryptoError.authenticationFailed) {
                try await kek.unwrap(wrapped, workspace: binding, dataKeyVersion: version)
            }
        }
    }

    @Test func anotherKeyOrATamperedBlobIsAnAuthenticationFailure() async throws {
        let a = try LocalKMS.provider(key: try await LocalKMS.createKey())
        let bARN = try await LocalKMS.createKey()
        let b = try LocalKMS.provider(key: bARN)
        let (_, wrapped) = try await a.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        // Another key's provider refuses it without asking KMS...
        await #expect(throws: CofferCryptoError.authenticationFailed) {
            try await b.unwrap(wrapped, workspace: Self.binding, dataKeyVersion: 1)
        }
        // ...and KMS refuses A's blob relabelled as B's. AWS answers IncorrectKeyException (the
        // authentication error); moto answers AccessDeniedException, which Coffer must read as a
        // permission problem (78), so here only "refused, never opened" is checked.
        let stored = try #require(AWSKMSWrappedKey(parsing: wrapped.ciphertext))
        let relabelled = WrappedDataKey(kekID: try await b.keyID(), ciphertext: try AWSKMSWrappedKey(keyARN: bARN, blob: stored.blob).bytes)
        do {
            _ = try await b.unwrap(relabelled, workspace: Self.binding, dataKeyVersion: 1)
            Issue.record("another key's blob opened")
        } catch let error as CofferCryptoError {
            switch error {
            case .authenticationFailed, .kekUnavailable: break
            default: Issue.record("\(error)")
            }
        }
        // A changed blob byte.
        var blob = stored.blob
        blob[blob.count - 1] ^= 1
        let tampered = WrappedDataKey(kekID: wrapped.kekID, ciphertext: try AWSKMSWrappedKey(keyARN: stored.keyARN, blob: blob).bytes)
        await #expect(throws: CofferCryptoError.authenticationFailed) {
            try await a.unwrap(tampered, workspace: Self.binding, dataKeyVersion: 1)
        }
        // A local v1 ciphertext under the same KEK id.
        let local = WrappedDataKey(kekID: wrapped.kekID, ciphertext: [1, 1] + [UInt8](repeating: 0, count: 64))
        await #expect(throws: CofferCryptoError.authenticationFailed) {
            try await a.unwrap(local, workspace: Self.binding, dataKeyVersion: 1)
        }
    }

    @Test func disabledOrUnknownKeysAreConfigurationErrors() async throws {
        let arn = try await LocalKMS.createKey()
        try await LocalKMS.disableKey(arn)
        for key in [arn, "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000", "alias/does-not-exist"] {
            let kek = try LocalKMS.provider(key: key)
            do {
                _ = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
                Issue.record("\(key) worked")
            } catch CofferCryptoError.kekUnavailable(let why) {
                #expect(why.contains("Disabled") || why.contains("NotFound"), "\(why)")
            }
            #expect(kek.client.callCounts.retries == 0)
        }
    }

    @Test func anUnreachableEndpointIsServiceUnavailableAfterRetries() async throws {
        // A port nothing listens on (the proxy, started and killed).
        let proxy = try FaultProxy()
        proxy.kill()
        let kek = try LocalKMS.provider(key: "alias/any", endpoint: proxy.url, timeout: "1.5s")
        do {
            _ = try await kek.keyID()
            Issue.record("reached a closed port")
        } catch CofferCryptoError.kekServiceUnavailable(let why) {
            #expect(why.contains("127.0.0.1:\(proxy.port)"))
        }
        // async-http-client retries the refused connection itself until the attempt's timeout
        // (here the whole deadline); the client then gives up with one failure.
        let counts = kek.client.callCounts
        #expect(counts.describeKey >= 1, "\(counts)")
        #expect(counts.failures == 1)
    }

    @Test func throttlingAndServerErrorsAreRetried() async throws {
        let arn = try await LocalKMS.createKey()
        let proxy = try FaultProxy()
        let kek = try LocalKMS.provider(key: arn, endpoint: proxy.url, timeout: "20s")
        _ = try await kek.keyID()
        try proxy.arm(throttle: 3)
        let (dek, wrapped) = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        try proxy.arm(error500: 2)
        #expect(try await kek.unwrap(wrapped, workspace: Self.binding, dataKeyVersion: 1) == dek)
        let counts = kek.client.callCounts
        #expect(counts.retries == 5, "\(counts)")
        #expect(counts.generateDataKey == 4 && counts.decrypt == 3)
        #expect(counts.failures == 0)
    }

    @Test func throttlingPastTheDeadlineIsServiceUnavailable() async throws {
        let arn = try await LocalKMS.createKey()
        let proxy = try FaultProxy()
        let kek = try LocalKMS.provider(key: arn, endpoint: proxy.url, timeout: "3s")
        _ = try await kek.keyID()
        try proxy.arm(throttle: 1000)
        await #expect(throws: CofferCryptoError.self) {
            _ = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        }
        do {
            _ = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        } catch CofferCryptoError.kekServiceUnavailable(let why) {
            #expect(why.contains("ThrottlingException"))
        }
    }

    @Test func noCredentialKeyOrPlaintextInLogsOrErrors() async throws {
        var log = InMemoryLogHandler()
        log.logLevel = .trace
        let logger = Logger(label: "captured") { [log] _ in log }
        let arn = try await LocalKMS.createKey()
        let proxy = try FaultProxy()
        // A generous deadline for the calls that must succeed (a loaded host makes moto slow),
        // a short one for the provider that meets the dead endpoint.
        let kek = try LocalKMS.provider(key: arn, endpoint: proxy.url, timeout: "30s", logger: logger)
        let shortLived = try LocalKMS.provider(key: arn, endpoint: proxy.url, timeout: "1s", logger: logger)
        _ = try await shortLived.keyID()
        try proxy.arm(throttle: 1)
        let (dek, wrapped) = try await kek.generateDataKey(workspace: Self.binding, dataKeyVersion: 1)
        var errors: [String] = []
        do { _ = try await kek.unwrap(wrapped, workspace: "x", dataKeyVersion: 1) } catch { errors.append("\(error)") }
        proxy.kill()
        do { _ = try await shortLived.unwrap(wrapped, workspace: Self.binding, dataKeyVersion: 1) } catch { errors.append("\(error)") }
        let dekBase64 = dek.withUnsafeBytes { Data($0).base64EncodedString() }
        let logged = log.entries.map { "\($0.message) \($0.metadata) \($0.error.map { "\($0)" } ?? "")" }
        let text = (logged + errors + [kek.description, kek.displayName, "\(kek.client.configuration.credentials)"]).joined(separator: "\n")
        #expect(!log.entries.isEmpty)
        #expect(errors.count == 2)
        for secret in ["coffer-test-secret-access-key", "coffer-test-session-token", "AKIDCOFFERTEST", dekBase64, "Signature=", "AWS4-HMAC"] {
            #expect(!text.contains(secret), "found \(secret.prefix(12))…")
        }
    }
}

/// The mapping of KMS error types to Coffer's errors (docs/KMS.md, "When KMS fails").
@Suite struct AWSKMSErrorMappingTests {
    @Test func kmsErrorsMapToTheDocumentedErrors() {
        func mapped(_ error: AWSKMSError) -> CofferCryptoError? { AWSKMSKEKProvider.cryptoError(error) as? CofferCryptoError }
        #expect(mapped(.service(type: "InvalidCiphertextException", status: 400)) == .authenticationFailed)
        #expect(mapped(.service(type: "IncorrectKeyException", status: 400)) == .authenticationFailed)
        for type in ["AccessDeniedException", "NotFoundException", "DisabledException", "KMSInvalidStateException", "UnrecognizedClientException"] {
            guard case .kekUnavailable(let why)? = mapped(.service(type: type, status: 400)) else { Issue.record("\(type)"); continue }
            #expect(why.contains(type))
        }
        if case .kekServiceUnavailable? = mapped(.unavailable("x")) {} else { Issue.record("unavailable") }
        if case .kekServiceUnavailable? = mapped(.unexpectedResponse("x")) {} else { Issue.record("unexpected") }
        if case .kekUnavailable? = mapped(.configuration("x")) {} else { Issue.record("configuration") }
        #expect(AWSKMSClient.isRetryable(status: 400, type: "ThrottlingException"))
        #expect(AWSKMSClient.isRetryable(status: 429, type: "HTTP 429"))
        #expect(AWSKMSClient.isRetryable(status: 503, type: "HTTP 503"))
        #expect(!AWSKMSClient.isRetryable(status: 400, type: "AccessDeniedException"))
        #expect(AWSKMSClient.errorType(Array(#"{"__type":"com.amazonaws.kms#ThrottlingException","message":"x"}"#.utf8)) == "ThrottlingException")
        #expect(AWSKMSClient.errorType(Array(#"{"__type":"Bad Type <script>"}"#.utf8)) == "BadTypescript")
    }
}
