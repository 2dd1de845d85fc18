public import CofferCrypto
public import Logging
import CPKCS11
import CofferInput
public import Foundation
public import Tracing

/// A key-encryption key that never leaves a PKCS#11 token (an HSM, a smart card, SoftHSM2):
/// data keys are wrapped and unwrapped with `CKM_AES_GCM` inside the token.
///
/// - The token's module is loaded with `dlopen` and initialised once per process with
///   `CKF_OS_LOCKING_OK`; the token is found by label, the user logs in with the PIN from the
///   URI's PIN source, and the KEK is the one AES secret key with the URI's object label.
/// - Every wrap uses a fresh random 12-byte IV (libsodium) and a 128-bit tag; the additional
///   data binds the wrapped key to its workspace binding, purpose and version
///   (``CofferInput/PKCS11WrappedKey/associatedData(binding:version:)``), so a wrapped key moved
///   elsewhere does not unwrap. Layout: docs/FORMAT.md §16.
/// - At most `sessions` sessions (default 4) serve concurrent calls; a lost session or a
///   removed and re-inserted token is recovered by opening a new one, without a restart. The
///   vault caches unwrapped data keys, so the token is called once per cold data key.
///
/// Errors: a module, slot, token, login or key that cannot be used is
/// ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)``; any failure to unwrap a well-formed
/// wrapped key (tokens report a bad GCM tag as a generic error) is
/// ``CofferCrypto/CofferCryptoError/authenticationFailed``; a token that fails to wrap is
/// ``CofferCrypto/CofferCryptoError/kekServiceUnavailable(_:)``. The PIN is never part of a
/// message or a log.
public final class PKCS11KEKProvider: KeyEncryptionKeyProvider, CustomStringConvertible {
    // Sendable: `uri`, `id`, `sessionLimit` and `logger` are immutable Sendable values; `pool` is
    // a PosixMutex (CofferCrypto) of a Sendable class reference.

    /// The key's URI (its ``CofferCrypto/PKCS11URI/description`` never shows a PIN).
    public let uri: PKCS11URI
    /// Most sessions open at once.
    public let sessionLimit: Int
    private let id: KEKIdentifier
    private let logger: Logger
    private let pool = PosixMutex<PKCS11SessionPool?>(nil)
    /// The tracer of the `pkcs11.wrap`/`pkcs11.unwrap` spans; nil when it is the no-op tracer.
    private let tracer: (any Tracer)?

    /// Environment variable that lets a `pin-value` URI through (tests only).
    public static let allowPINValueVariable = "COFFER_PKCS11_ALLOW_PIN_VALUE"
    /// The provider name in ``CofferCrypto/KEKIdentifier/init(externalKey:provider:)``.
    public static let providerName = "pkcs11"

    /// The provider of `uri`. Nothing is loaded yet.
    /// - Parameter allowPINValue: accept a `pin-value` (tests only; a PIN in a URI ends up in
    ///   shell histories and process lists).
    ///   - tracer: where each wrap and unwrap span (`pkcs11.wrap`, `pkcs11.unwrap`, client spans
    ///     with the attribute `pkcs11.token`, the token label) goes; nil: the
    ///     `InstrumentationSystem` tracer now, no span at all when that is the no-op tracer.
    /// - Throws: ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)`` for a `pin-value` that
    ///   is not allowed or a session limit out of 1–64.
    public init(uri: PKCS11URI, allowPINValue: Bool = false, sessions: Int = 4, logger: Logger? = nil, tracer: (any Tracer)? = nil) throws {
        if case .value = uri.pin, !allowPINValue {
            throw CofferCryptoError.kekUnavailable(
                "pkcs11: pin-value is refused (a PIN in a URI leaks into shell histories); put the PIN in a file of mode 0600 and use pin-source=file:PATH")
        }
        guard (1...64).contains(sessions) else { throw CofferCryptoError.kekUnavailable("pkcs11: the session limit must be 1–64") }
        self.uri = uri
        self.sessionLimit = sessions
        self.id = try KEKIdentifier(externalKey: uri.keyName, provider: Self.providerName)
        self.logger = logger ?? Logger(label: "coffer.pkcs11", factory: { SwiftLogNoOpLogHandler($0) })
        let tracer = tracer ?? InstrumentationSystem.tracer
        self.tracer = tracer is NoOpTracer ? nil : tracer
    }

    /// The provider of a `pkcs11:` URI text; `pin-value` only when `environment` sets
    /// ``allowPINValueVariable`` to `1`.
    public convenience init(
        uri: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger? = nil
    ) throws {
        guard case .pkcs11(let parsed) = try KEKProviderURI(parsing: uri) else {
            throw CofferCryptoError.kekUnavailable("not a pkcs11: URI")
        }
        try self.init(uri: parsed, allowPINValue: environment[Self.allowPINValueVariable] == "1", logger: logger)
    }

    /// The URI without a PIN.
    public var displayName: String { uri.description }

    public var description: String { "PKCS11KEKProvider(\(uri.description))" }

    /// Creates the KEK named by `uri` in its token (AES-256; `CKA_TOKEN`, `CKA_PRIVATE`,
    /// `CKA_SENSITIVE` true, `CKA_EXTRACTABLE` false, `CKA_ENCRYPT`/`CKA_DECRYPT` only) and
    /// returns its KEK id. Refuses when a key with that label exists.
    public static func generateKey(uri: PKCS11URI, logger: Logger? = nil) throws -> KEKIdentifier {
        try PKCS11Token(uri: uri).generateKey()
        let id = try KEKIdentifier(externalKey: uri.keyName, provider: providerName)
        logger?.notice("pkcs11 key created", metadata: ["token": "\(uri.token)", "object": "\(uri.object)", "kek": "\(id)"])
        return id
    }

    // MARK: KeyEncryptionKeyProvider

    /// The KEK id, after checking that the token and the key can be reached.
    public func keyID() async throws -> KEKIdentifier {
        try await withSession { _ in }
        return id
    }

    public func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        try await traced("pkcs11.wrap") { try await wrapInToken(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion) }
    }

    public func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        try await traced("pkcs11.unwrap") { try await unwrapInToken(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion) }
    }

    /// Runs `body` in a client span `name` (attribute `pkcs11.token`), or just runs it without a tracer.
    private func traced<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        guard let tracer else { return try await body() }
        return try await tracer.withSpan(name, ofKind: .client) { span in
            span.attributes["pkcs11.token"] = uri.token
            return try await body()
        }
    }

    private func wrapInToken(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        let iv = SecureBytes.random(count: PKCS11WrappedKey.ivLength).withUnsafeBytes { Array($0) }
        let aad = PKCS11WrappedKey.associatedData(binding: workspace, version: dataKeyVersion)
        let token = try token()
        let sealed: [UInt8] = try await withSession { entry in
            var out = [UInt8](repeating: 0, count: PKCS11WrappedKey.sealedLength + 16)
            let r = dataKey.withUnsafeBytes { key in
                out.withUnsafeMutableBytes { o in
                    token.gcm(encrypt: true, session: entry.session, key: entry.key, iv: iv, aad: aad, input: key, output: o)
                }
            }
            if PKCS11Module.isLostSession(r.rv) { throw PKCS11SessionPool.LostSession(rv: r.rv) }
            guard r.rv == CKR_OK else { throw Self.wrapError(r.rv) }
            guard r.count == PKCS11WrappedKey.sealedLength else {
                throw CofferCryptoError.kekServiceUnavailable("the PKCS#11 token returned \(r.count) bytes for a wrapped key, not \(PKCS11WrappedKey.sealedLength)")
            }
            return Array(out.prefix(r.count))
        }
        do {
            let layout = try PKCS11WrappedKey(iv: iv, sealed: sealed, tokenLabel: uri.token, objectLabel: uri.object)
            return WrappedDataKey(kekID: id, ciphertext: layout.bytes)
        } catch {
            throw CofferCryptoError.kekUnavailable("pkcs11: \(error.description)")
        }
    }

    private func unwrapInToken(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        // A wrapped key of another layout or another token key is not ours: the same one error
        // as any other failure to open it.
        guard wrapped.kekID == id, let stored = PKCS11WrappedKey(parsing: wrapped.ciphertext),
              stored.tokenLabel == uri.token, stored.objectLabel == uri.object
        else { throw CofferCryptoError.authenticationFailed }
        let token = try token()
        let aad = PKCS11WrappedKey.associatedData(binding: workspace, version: dataKeyVersion)
        return try await withSession { entry -> SymmetricKey in
            var count = 0
            var rv = CK_RV(CKR_OK)
            var inInit = false
            let plain = SecureBytes(count: PKCS11WrappedKey.sealedLength) { out in
                let r = stored.sealed.withUnsafeBytes { input in
                    token.gcm(encrypt: false, session: entry.session, key: entry.key, iv: stored.iv, aad: aad, input: input, output: out)
                }
                (rv, inInit, count) = (r.rv, r.inInit, r.count)
            }
            if PKCS11Module.isLostSession(rv) { throw PKCS11SessionPool.LostSession(rv: rv) }
            if inInit && Self.isConfigurationProblem(rv) {
                throw CofferCryptoError.kekUnavailable(
                    "PKCS#11 token \"\(uri.token)\" refused AES-GCM decryption with key \"\(uri.object)\" (\(PKCS11Module.name(of: rv))); the key must allow CKA_DECRYPT and the token CKM_AES_GCM")
            }
            // Tokens report a wrong tag as CKR_ENCRYPTED_DATA_INVALID, CKR_FUNCTION_FAILED or
            // CKR_GENERAL_ERROR alike: every failure here is one authentication failure.
            guard rv == CKR_OK, count == SymmetricKey.byteCount else { throw CofferCryptoError.authenticationFailed }
            return try plain.withUnsafeBytes { try SymmetricKey(copying: UnsafeRawBufferPointer(rebasing: $0.prefix(SymmetricKey.byteCount))) }
        }
    }

    // MARK: Sessions

    private func token() throws -> PKCS11Token {
        try PKCS11Token(uri: uri)
    }

    /// The session pool, made on first use (which loads and initialises the module).
    private func sessions() throws -> PKCS11SessionPool {
        try pool.withLock { slot in
            if let pool = slot { return pool }
            let token = try PKCS11Token(uri: uri)
            let logger = logger
            let pool = PKCS11SessionPool(
                capacity: sessionLimit,
                open: {
                    let session = try token.openSession()
                    do {
                        let key = try token.findKey(session)
                        logger.debug("pkcs11 session opened", metadata: ["token": "\(token.uri.token)"])
                        return .init(session: session, key: key)
                    } catch {
                        token.closeSession(session)
                        throw error
                    }
                },
                close: { entry in token.closeSession(entry.session) })
            slot = pool
            return pool
        }
    }

    /// Runs `body` on a pooled session; a session lost again right after being reopened means
    /// the token is gone: ``CofferCrypto/CofferCryptoError/kekUnavailable(_:)``.
    private func withSession<R>(_ body: (PKCS11SessionPool.Entry) throws -> R) async throws -> R {
        do {
            return try await sessions().withSession(body)
        } catch let lost as PKCS11SessionPool.LostSession {
            throw CofferCryptoError.kekUnavailable(
                "PKCS#11 token \"\(uri.token)\" was lost and could not be used again (\(PKCS11Module.name(of: lost.rv))); check that it is present")
        }
    }

    /// Sessions open now, idle or in use (for tests and diagnostics).
    var openSessionCount: Int { pool.withLock { $0?.openCount ?? 0 } }

    /// Closes the pool's idle sessions behind its back, as a removed token or a restarted HSM
    /// does (their handles stay in the pool, now invalid); for tests of the recovery. Other
    /// pools' sessions are left alone.
    func closeSessionsBehindThePool() throws {
        let token = try token()
        for entry in pool.withLock({ $0?.idleEntries ?? [] }) { token.closeSession(entry.session) }
    }

    private static func isConfigurationProblem(_ rv: CK_RV) -> Bool {
        [CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID, CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_SIZE_RANGE]
            .map { CK_RV($0) }.contains(rv)
    }

    private static func wrapError(_ rv: CK_RV) -> CofferCryptoError {
        if isConfigurationProblem(rv) {
            return .kekUnavailable(
                "the PKCS#11 token refused AES-GCM encryption with the key (\(PKCS11Module.name(of: rv))); the key must allow CKA_ENCRYPT and the token CKM_AES_GCM")
        }
        return .kekServiceUnavailable("the PKCS#11 token failed to wrap a data key (\(PKCS11Module.name(of: rv)))")
    }
}
