public import CofferAWSKMS
import CofferCrypto
public import Foundation
public import Logging

/// The KMS-compatible endpoint the test script starts (moto_server on loopback,
/// scripts/kms.sh), named by `COFFER_TEST_KMS_URL`: the environment a `coffer` process or a
/// provider needs to use it, and the administrative calls tests make (CreateKey, DisableKey,
/// CreateAlias). Shared by the AWS KMS and the PKCS#11 tests (PKCS#11 ↔ KMS rotation).
public enum LocalKMSServer {
    /// The endpoint, or nil when the test script started none.
    public static let url: String? = ProcessInfo.processInfo.environment["COFFER_TEST_KMS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether ``url`` is set.
    public static var available: Bool { url != nil }

    static let logger = Logger(label: "coffer.kms-tests") { _ in SwiftLogNoOpLogHandler() }

    /// The variables a `coffer` process or provider reads for the endpoint (moto accepts any
    /// credentials); `endpoint` replaces ``url`` (a fault proxy in front of it).
    public static func environment(endpoint: String? = nil, timeout: String = "5s") -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": "AKIDCOFFERTEST", "AWS_SECRET_ACCESS_KEY": "coffer-test-secret-access-key",
            "AWS_SESSION_TOKEN": "coffer-test-session-token", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_KMS": endpoint ?? url ?? "http://127.0.0.1:9", "COFFER_KMS_TIMEOUT": timeout,
        ]
    }

    /// A client for administrative calls.
    public static func admin() throws -> AWSKMSClient {
        let config = try AWSKMSConfiguration.fromEnvironment(key: try AWSKMSKeySpec(parsing: "alias/admin"), environment: environment())
        return AWSKMSClient(configuration: config, logger: logger)
    }

    /// Calls `operation` with the JSON object `body`; the answer's JSON object (empty for
    /// operations that answer with none, as CreateAlias and DisableKey).
    public static func call(_ operation: String, _ body: [String: any Sendable]) async throws -> [String: Any] {
        let answer = try await admin().call(operation, body: Array(try JSONSerialization.data(withJSONObject: body)))
        return ((try? JSONSerialization.jsonObject(with: Data(answer), options: [.fragmentsAllowed])) as? [String: Any]) ?? [:]
    }

    /// A new symmetric KMS key; its ARN.
    public static func createKey() async throws -> String {
        let answer = try await call("CreateKey", ["Description": "coffer test"])
        guard let arn = (answer["KeyMetadata"] as? [String: Any])?["Arn"] as? String else {
            throw CocoaError(.coderReadCorrupt, userInfo: [NSDebugDescriptionErrorKey: "CreateKey answered without KeyMetadata.Arn"])
        }
        return arn
    }
}
