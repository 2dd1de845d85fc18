import CofferCrypto
import CoreMetrics
import Tracing

/// A KEK provider as the vault uses it: every wrap, unwrap and data-key generation counted and
/// timed by provider (`coffer_kek_calls_total`, `coffer_kek_call_duration_seconds`) and, with
/// a tracer, inside a span `coffer.kek.<operation>` (docs/OBSERVABILITY.md). `keyID()` is
/// passed through uncounted (local providers answer it from memory, KMS ones cache it).
struct InstrumentedKEK: KeyEncryptionKeyProvider {
    // Sendable: `let`s of Sendable types.
    let inner: any KeyEncryptionKeyProvider
    /// The provider dimension: the URI scheme of ``displayName`` when it is one Coffer knows.
    let provider: String
    private let instruments: [Operation: (success: Counter, failure: Counter, duration: CoreMetrics.Timer)]
    private let timed: Bool
    private let tracer: (any Tracer)?

    enum Operation: String, CaseIterable, Sendable { case wrap, unwrap, generate }

    /// The provider schemes reported as themselves; any other provider is `other`.
    static let knownProviders: Set<String> = ["file", "env", "passphrase", "aws-kms", "pkcs11"]

    /// The provider dimension of `provider`: its display name's scheme when known, else `other`.
    static func kind(of provider: any KeyEncryptionKeyProvider) -> String {
        let scheme = provider.displayName.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return knownProviders.contains(scheme) ? scheme : "other"
    }

    /// `provider` instrumented with `metrics`' factory and `tracer` (nil: no spans). A provider
    /// that is already instrumented is returned as it is.
    static func wrapping(_ provider: any KeyEncryptionKeyProvider, metrics: VaultMetrics, tracer: (any Tracer)?) -> any KeyEncryptionKeyProvider {
        if provider is InstrumentedKEK { return provider }
        return InstrumentedKEK(provider, metrics: metrics, tracer: tracer)
    }

    private init(_ inner: any KeyEncryptionKeyProvider, metrics: VaultMetrics, tracer: (any Tracer)?) {
        self.inner = inner
        let provider = Self.kind(of: inner)
        self.provider = provider
        self.timed = metrics.timed
        self.tracer = tracer
        var instruments: [Operation: (success: Counter, failure: Counter, duration: CoreMetrics.Timer)] = [:]
        for operation in Operation.allCases {
            let dimensions = [("provider", provider), ("operation", operation.rawValue)]
            instruments[operation] = (
                Counter(label: "coffer_kek_calls_total", dimensions: dimensions + [("outcome", "success")], factory: metrics.factory),
                Counter(label: "coffer_kek_calls_total", dimensions: dimensions + [("outcome", "failure")], factory: metrics.factory),
                CoreMetrics.Timer(label: "coffer_kek_call_duration_seconds", dimensions: dimensions, factory: metrics.factory))
        }
        self.instruments = instruments
    }

    var displayName: String { inner.displayName }

    func keyID() async throws -> KEKIdentifier { try await inner.keyID() }

    func wrap(_ dataKey: SymmetricKey, workspace: String, dataKeyVersion: UInt32) async throws -> WrappedDataKey {
        try await call(.wrap) { try await inner.wrap(dataKey, workspace: workspace, dataKeyVersion: dataKeyVersion) }
    }

    func unwrap(_ wrapped: WrappedDataKey, workspace: String, dataKeyVersion: UInt32) async throws -> SymmetricKey {
        try await call(.unwrap) { try await inner.unwrap(wrapped, workspace: workspace, dataKeyVersion: dataKeyVersion) }
    }

    func generateDataKey(workspace: String, dataKeyVersion: UInt32) async throws -> (key: SymmetricKey, wrapped: WrappedDataKey) {
        try await call(.generate) { try await inner.generateDataKey(workspace: workspace, dataKeyVersion: dataKeyVersion) }
    }

    private func call<T>(_ operation: Operation, _ body: () async throws -> T) async throws -> T {
        let (success, failure, duration) = instruments[operation]!
        let start = timed ? ContinuousClock.now : nil
        do {
            let result: T
            if let tracer {
                result = try await tracer.withSpan("coffer.kek.\(operation.rawValue)", ofKind: .client) { span in
                    span.attributes["coffer.kek.provider"] = provider
                    return try await body()
                }
            } else {
                result = try await body()
            }
            if let start { duration.record(since: start) }
            success.increment()
            return result
        } catch {
            if let start { duration.record(since: start) }
            failure.increment()
            throw error
        }
    }
}
