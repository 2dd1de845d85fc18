import CofferCrypto
import CofferPKCS11
import InMemoryTracing
import Testing
import Tracing

extension PKCS11TokenTests {
    /// Every wrap and unwrap in the token is a client span with the token label.
    @Suite(.enabled(if: LocalHSM.available, LocalHSM.skipReason))
    struct PKCS11TracingTests {
        @Test func wrapAndUnwrapAreSpans() async throws {
            let tracer = InMemoryTracer()
            let provider = try PKCS11KEKProvider(uri: try LocalHSM.createKey(), logger: LocalHSM.logger, tracer: tracer)
            let key = SymmetricKey.generate()
            let wrapped = try await provider.wrap(key, workspace: "ws/acme", dataKeyVersion: 1)
            #expect(try await provider.unwrap(wrapped, workspace: "ws/acme", dataKeyVersion: 1) == key)
            await #expect(throws: CofferCryptoError.self) { try await provider.unwrap(wrapped, workspace: "ws/other", dataKeyVersion: 1) }
            let spans = tracer.finishedSpans
            #expect(spans.map(\.operationName) == ["pkcs11.wrap", "pkcs11.unwrap", "pkcs11.unwrap"])
            #expect(spans.allSatisfy { $0.kind == .client && $0.attributes["pkcs11.token"]?.toSpanAttribute() == .string(provider.uri.token) })
            #expect(spans.last?.status?.code == .error)
        }
    }
}
