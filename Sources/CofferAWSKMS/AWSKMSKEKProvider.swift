public import AsyncHTTPClient
public import CofferCrypto
public import Foundation
public import Logging
import CofferInput

/// A key-encryption key that never leaves AWS KMS (or a KMS-compatible endpoint): data keys
/// are wrapped with `Encrypt` or made with `GenerateDataKey`, and unwrapped with `Decrypt`.
///
/// - Every call carries an **encryption context** that binds the wrapped key to its place:
///   `coffer:binding` (the workspace binding; absent for audit keys, whose binding is empty),
///   `coffer:purpose` (`data-key` or `audit-key`) and `coffer:version` (the data-key version,
///   decimal). KMS authenticates it, so a wrapped key moved to another workspace or version
///   does not unwrap (authentication failed).
/// - The key is resolved once with `DescribeKey` (an alias becomes the key's ARN, which must
///   be enabled, symmetric and for encryption); the ``keyID()`` is derived from that ARN
///   (``CofferCrypto/KEKIdentifier/init(externalKey:provider:)`` with provider `aws-kms`).
///   Every response's `KeyId` must be that ARN.
/// - The vault caches unwrapped data keys (age, uses, entries) and loads a cold one once
///   however many tasks ask, so KMS is called once per cold data key, not per operation.
///
/// Errors: a KMS that cannot be reached, or keeps throttling or failing past the deadline, is
/// ``CofferCrypto/CofferCryptoError/kekServiceUnavailable(_:)``; access denied, an unknown,
/// disabled or unusable key, or bad credentials are ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)``;
/// a ciphertext or context KMS rejects, or a response for another key, is
/// ``CofferCrypto/CofferCryptoError/authenticationFailed``. No credential, signature, key or
/// plaintext is ever part of a message or a log.
public final class AWSKMSKEKProvider: KeyEncryptionKeyProvider, CustomStringConvertible {
    // Sendable: `client` is a Sendable class, `resolved` a PosixMutex (Sendable) of Sendable state, the rest
    // are `let` values of Sendable types.

    /// The client that sends the calls (its ``AWSKMSClient/callCounts`` count them).
    public let client: AWSKMSClient
    private let logger: Logger
    private let resolved = PosixMutex<Task<Resolved, any Error>?>(nil)

    private struct Resolved: Sendable {
        var arn: String
        var id: KEKIdentifier
    }

    /// The provider of `configuration`.
    public init(configuration: AWSKMSConfiguration, httpClient: HTTPClient = .shared, logger: Logger? = nil) {
        let logger = logger ?? Logger(label: "coffer.aws-kms", factory: { SwiftLogNoOpLogHandler($0) })
        self.client = AWSKMSClient(configuration: configuration, httpClient: httpClient, logger: logger)
        self.logger = logger
    }

    /// The provider of an `aws-kms:KEY` URI, configured from `environment` (see
    /// ``AWSKMSConfiguration/fromEnvironment(key:environment:)``). Nothing is sent yet.
    /// - Throws: ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)`` for a URI that is not
    ///   `aws-kms:` or a configuration that is incomplete.
    public convenience init(
        uri: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared, logger: Logger? = nil
    ) throws {
        guard case .awsKMS(let key) = try KEKProviderURI(parsing: uri) else {
            throw CofferCryptoError.kekUnavailable("not an aws-kms: URI")
        }
        let configuration: AWSKMSConfiguration
        do {
            configuration = try AWSKMSConfiguration.fromEnvironment(key: key, environment: environment)
        } catch {
            throw Self.cryptoError(error)
        }
        self.init(configuration: configuration, httpClient: httpClient, logger: logger)
    }

    /// `aws-kms:KEY`.
    public var displayName: String { "aws-kms:\(client.configuration.key)" }

    public var description: String { "AWSKMSKEKProvider(\(displayName) at \(client.configuration.endpoint))" }

    // MARK: KeyEncryptionKeyProvider

    public func keyID() async throws -> KEKIdentifier {
        try await resolve().id
    }

    public func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        let key = try await resolve()
        var plaintext = dataKey.withUnsafeBytes { Array(Data($0).base64EncodedData()) }
        defer { Self.wipe(&plaintext) }
        var body = try Self.json(["KeyId": key.arn, "EncryptionContext": Self.context(workspace, dataKeyVersion)])
        // Append the plaintext field by hand, so the key's base64 never becomes a String.
        body.removeLast()  // "}"
        body += Array(#","Plaintext":""#.utf8) + plaintext + Array(#""}"#.utf8)
        defer { Self.wipe(&body) }
        let answer = try await calling { try await client.call("Encrypt", body: body) }
        let blob = try Self.responseBlob(answer, expectedKey: key.arn)
        return WrappedDataKey(kekID: key.id, ciphertext: try Self.wrapped(key.arn, blob).bytes)
    }

    public func generateDataKey(workspace: String, dataKeyVersion: UInt32) async throws -> (key: SymmetricKey, wrapped: WrappedDataKey) {
        let key = try await resolve()
        let body = try Self.json([
            "KeyId": key.arn, "KeySpec": "AES_256", "EncryptionContext": Self.context(workspace, dataKeyVersion),
        ])
        var answer = try await calling { try await client.call("GenerateDataKey", body: body) }
        defer { Self.wipe(&answer) }
        let dataKey = try Self.plaintextKey(&answer)
        let blob = try Self.responseBlob(answer, expectedKey: key.arn)
        return (dataKey, WrappedDataKey(kekID: key.id, ciphertext: try Self.wrapped(key.arn, blob).bytes))
    }

    public func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        let key = try await resolve()
        // A wrapped key of another layout or another KMS key is not ours: the same one error
        // as any other failure to open it.
        guard wrapped.kekID == key.id, let stored = AWSKMSWrappedKey(parsing: wrapped.ciphertext), stored.keyARN == key.arn else {
            throw CofferCryptoError.authenticationFailed
        }
        let body = try Self.json([
            "KeyId": key.arn, "CiphertextBlob": Data(stored.blob).base64EncodedString(),
            "EncryptionContext": Self.context(workspace, dataKeyVersion),
        ])
        var answer = try await calling { try await client.call("Decrypt", body: body) }
        defer { Self.wipe(&answer) }
        let dataKey = try Self.plaintextKey(&answer)
        guard Self.responseKeyID(answer) == key.arn else { throw CofferCryptoError.authenticationFailed }
        return dataKey
    }

    // MARK: Key resolution

    /// Resolves the key once (`DescribeKey`); concurrent first callers share the one call. A
    /// failure is not kept: the next call tries again.
    private func resolve() async throws -> Resolved {
        let task = resolved.withLock { slot -> Task<Resolved, any Error> in
            if let task = slot { return task }
            let task = Task { [client, logger] in
                let body = try Self.json(["KeyId": client.configuration.key.text])
                let answer = try await Self.mapping { try await client.call("DescribeKey", body: body) }
                guard let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
                      let meta = object["KeyMetadata"] as? [String: Any], let arn = meta["Arn"] as? String
                else { throw CofferCryptoError.kekServiceUnavailable("AWS KMS DescribeKey answered without KeyMetadata.Arn") }
                let state = meta["KeyState"] as? String ?? (meta["Enabled"] as? Bool == true ? "Enabled" : "Disabled")
                guard state == "Enabled" else {
                    throw CofferCryptoError.kekUnavailable("the KMS key \(arn) is \(state), not Enabled: enable it or configure another key")
                }
                let usage = meta["KeyUsage"] as? String ?? "ENCRYPT_DECRYPT"
                let spec = meta["KeySpec"] as? String ?? meta["CustomerMasterKeySpec"] as? String ?? "SYMMETRIC_DEFAULT"
                guard usage == "ENCRYPT_DECRYPT", spec == "SYMMETRIC_DEFAULT" else {
                    throw CofferCryptoError.kekUnavailable(
                        "the KMS key \(arn) is \(spec) for \(usage); Coffer needs a SYMMETRIC_DEFAULT key for ENCRYPT_DECRYPT")
                }
                do {
                    _ = try AWSKMSWrappedKey(keyARN: arn, blob: [0])
                } catch {
                    throw CofferCryptoError.kekServiceUnavailable("AWS KMS DescribeKey answered a malformed key ARN")
                }
                let id = try KEKIdentifier(externalKey: arn, provider: "aws-kms")
                logger.info("kms key resolved", metadata: ["key": "\(arn)", "kek": "\(id)"])
                return Resolved(arn: arn, id: id)
            }
            slot = task
            return task
        }
        do {
            return try await task.value
        } catch {
            resolved.withLock { slot in
                if slot == task { slot = nil }
            }
            throw error
        }
    }

    // MARK: Requests and responses

    private func calling(_ body: () async throws -> [UInt8]) async throws -> [UInt8] {
        try await Self.mapping(body)
    }

    /// Runs a KMS call, turning ``AWSKMSError`` into the error vocabulary of `CofferCrypto`.
    private static func mapping(_ body: () async throws -> [UInt8]) async throws -> [UInt8] {
        do {
            return try await body()
        } catch {
            throw cryptoError(error)
        }
    }

    static func cryptoError(_ error: any Error) -> any Error {
        guard let kms = error as? AWSKMSError else { return error }
        switch kms {
        case .configuration:
            return CofferCryptoError.kekUnavailable(kms.description)
        case .unavailable, .unexpectedResponse:
            return CofferCryptoError.kekServiceUnavailable(kms.description)
        case .service(let type, _) where ["InvalidCiphertextException", "IncorrectKeyException"].contains(type):
            return CofferCryptoError.authenticationFailed
        case .service(let type, let status):
            return CofferCryptoError.kekUnavailable(
                "AWS KMS refused the request: \(type) (HTTP \(status)); check the key (it must exist and be enabled), "
                    + "its key policy or IAM policy (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey), the region and the credentials")
        }
    }

    /// The encryption context of a wrapped key (docs/FORMAT.md §15).
    static func context(_ binding: String, _ version: UInt32) -> [String: String] {
        var context = ["coffer:purpose": binding.isEmpty ? "audit-key" : "data-key", "coffer:version": String(version)]
        if !binding.isEmpty { context["coffer:binding"] = binding }
        return context
    }

    private static func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    private static func wrapped(_ arn: String, _ blob: [UInt8]) throws -> AWSKMSWrappedKey {
        do {
            return try AWSKMSWrappedKey(keyARN: arn, blob: blob)
        } catch {
            throw CofferCryptoError.kekServiceUnavailable("AWS KMS answered an unusable key: \(error.description)")
        }
    }

    /// `KeyId` of a response.
    private static func responseKeyID(_ answer: [UInt8]) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])?["KeyId"] as? String
    }

    /// The `CiphertextBlob` of an `Encrypt` or `GenerateDataKey` response, after checking its
    /// `KeyId` is the configured key.
    private static func responseBlob(_ answer: [UInt8], expectedKey arn: String) throws -> [UInt8] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any],
              let text = object["CiphertextBlob"] as? String, let blob = Data(base64Encoded: text)
        else { throw CofferCryptoError.kekServiceUnavailable("AWS KMS answered without a CiphertextBlob") }
        guard object["KeyId"] as? String == arn else { throw CofferCryptoError.authenticationFailed }
        return Array(blob)
    }

    /// Takes the base64 `Plaintext` out of `answer` into secure memory and overwrites it in
    /// `answer` (so the JSON parser that reads the rest never copies the key).
    private static func plaintextKey(_ answer: inout [UInt8]) throws -> SymmetricKey {
        guard let range = AWSKMSPlaintextField.valueRange(in: answer) else {
            throw CofferCryptoError.kekServiceUnavailable("AWS KMS answered without a usable Plaintext")
        }
        defer { for i in range { answer[i] = UInt8(ascii: "A") } }
        do {
            return try answer[range].withUnsafeBytes { try SymmetricKey.decodeBase64($0) }
        } catch {
            throw CofferCryptoError.kekServiceUnavailable("AWS KMS answered a Plaintext that is not a 32-byte key")
        }
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { b in
            for i in b.indices { b[i] = 0 }
        }
    }
}
