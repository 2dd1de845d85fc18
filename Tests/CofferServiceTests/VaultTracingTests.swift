import Coffer
import CofferCrypto
import InMemoryTracing
import Testing
import Tracing

/// The tracer is injected through `VaultConfiguration.tracer`: no global bootstrap.
@Suite("Vault spans")
struct VaultTracingTests {
    @Test("a cold get is one span with the unwrap and the KEK call inside it; a warm get is one span; no attribute carries a secret name or value")
    func spansOfGets() async throws {
        let tracer = InMemoryTracer()
        let fixture = try ServiceFixture { $0.tracer = tracer }
        let name = "billing/stripe-key"
        let value = "sk_live_tracing_test_value"
        try await fixture.vault().createWorkspace("acme")
        try await fixture.vault().workspace("acme").put(name, value: SecretBytes(Array(value.utf8)))

        let vault = try fixture.vault()
        tracer.clearAll()
        _ = try await vault.workspace("acme").get(name)
        let cold = tracer.popFinishedSpans()
        let get = try #require(cold.first { $0.operationName == "coffer.get" })
        let unwrap = try #require(cold.first { $0.operationName == "coffer.unwrap_data_key" })
        let kek = try #require(cold.first { $0.operationName == "coffer.kek.unwrap" })
        #expect(unwrap.parentSpanID == get.spanID)
        #expect(kek.parentSpanID == unwrap.spanID)
        #expect(kek.kind == .client)
        #expect(kek.attributes["coffer.kek.provider"]?.toSpanAttribute() == .string("env"))
        #expect(get.attributes["coffer.workspace"]?.toSpanAttribute() == .string("acme"))

        _ = try await vault.workspace("acme").get(name)
        let warm = tracer.popFinishedSpans()
        #expect(warm.map(\.operationName) == ["coffer.get"])

        for span in cold + warm {
            span.attributes.forEach { key, attribute in
                let text = "\(attribute)"
                #expect(!text.contains(name) && !text.contains(value) && !key.contains(name), "attribute \(key) of \(span.operationName)")
            }
        }
    }

    @Test("without a tracer (the default no-op one) the vault starts no span")
    func noTracerNoSpans() async throws {
        let fixture = try ServiceFixture()
        let tracer = InMemoryTracer()
        // A tracer bound only after the vault was created is not used: the vault resolves its
        // tracer once, at creation.
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        try await withTracer(tracer) {
            try await vault.workspace("acme").put("a/b", value: SecretBytes(Array("v".utf8)))
        }
        #expect(tracer.finishedSpans.isEmpty)
    }
}
