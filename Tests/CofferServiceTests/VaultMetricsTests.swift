import Coffer
import CofferCrypto
import CoreMetrics
import MetricsTestKit
import Testing

/// Each test injects its own `TestMetrics` through `VaultConfiguration.metricsFactory`: no
/// global bootstrap, so the tests do not depend on each other or on process state.
@Suite("Vault metrics")
struct VaultMetricsTests {
    private static let names = (0..<3).map { "billing/stripe-key-\($0)" }
    private static let values = (0..<3).map { "sk_live_metrics_test_value_\($0)" }

    @Test("real operations are counted: puts, gets, conflicts, cache hits and misses, unwraps and KEK calls by provider, authentication failures, rotation, re-encryption, audit")
    func countsAfterRealOperations() async throws {
        let metrics = TestMetrics()
        let fixture = try ServiceFixture { $0.metricsFactory = metrics }
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        let acme = try vault.workspace("acme")
        for (name, value) in zip(Self.names, Self.values) { try await acme.put(name, value: SecretBytes(Array(value.utf8))) }
        await #expect(throws: VaultError.self) { try await acme.put(Self.names[0], value: SecretBytes(Array("x".utf8)), expectedVersion: 7) }
        for name in Self.names + [Self.names[0]] { _ = try await acme.get(name) }

        let put = [("operation", "put")]
        let get = [("operation", "get")]
        #expect(metrics.counterTotal(label: "coffer_secret_operations_total", dimensions: put + [("outcome", "success")]) == 3)
        #expect(metrics.counterTotal(label: "coffer_secret_operations_total", dimensions: put + [("outcome", "failure")]) == 1)
        #expect(metrics.counterTotal(label: "coffer_secret_operations_total", dimensions: get + [("outcome", "success")]) == 4)
        #expect(try metrics.expectTimer("coffer_secret_operation_duration_seconds", get).values.count == 4)
        #expect(try metrics.expectTimer("coffer_secret_operation_duration_seconds", put).values.count == 4)
        #expect(metrics.counterTotal(label: "coffer_check_and_set_conflicts_total") == 1)
        // The workspace's data key was generated (by the env KEK) and cached: every use is a hit.
        #expect(metrics.counterTotal(label: "coffer_kek_calls_total", dimensions: [("provider", "env"), ("operation", "generate"), ("outcome", "success")]) == 1)
        #expect(metrics.counterTotal(label: "coffer_datakey_cache_misses_total") == 0)
        #expect(metrics.counterTotal(label: "coffer_datakey_cache_hits_total") == 8)

        // A second vault (cold cache): one miss, one unwrap through the provider, then hits.
        let coldMetrics = TestMetrics()
        let cold = try fixture.vault { $0.metricsFactory = coldMetrics }
        for name in Self.names { _ = try await cold.workspace("acme").get(name) }
        #expect(coldMetrics.counterTotal(label: "coffer_datakey_cache_misses_total") == 1)
        #expect(coldMetrics.counterTotal(label: "coffer_datakey_cache_hits_total") == 2)
        #expect(coldMetrics.counterTotal(label: "coffer_datakey_unwraps_total") == 1)
        #expect(try coldMetrics.expectTimer("coffer_datakey_unwrap_duration_seconds").values.count == 1)
        #expect(coldMetrics.counterTotal(label: "coffer_kek_calls_total", dimensions: [("provider", "env"), ("operation", "unwrap"), ("outcome", "success")]) == 1)

        // A vault with another KEK: the data key does not open, counted as an authentication failure.
        let wrongMetrics = TestMetrics()
        let wrongKEK = try LocalKEK(SymmetricKey.generate(), displayName: "wrong")
        let wrong = try fixture.vault(kek: wrongKEK) { $0.metricsFactory = wrongMetrics }
        await #expect(throws: VaultError.authenticationFailed) { try await wrong.workspace("acme").get(Self.names[0]) }
        #expect(wrongMetrics.counterTotal(label: "coffer_authentication_failures_total") == 1)
        // Refused by KEK id before the provider is asked.
        #expect(wrongMetrics.counterTotal(label: "coffer_kek_calls_total") == 0)

        // Rotation and re-encryption progress.
        try await vault.rotateDataKey(workspace: "acme")
        #expect(metrics.counterTotal(label: "coffer_datakey_rotations_total", dimensions: [("reason", "operator")]) == 1)
        let report = try await vault.reencrypt(batchSize: 2)
        #expect(report.reencrypted == 3)
        #expect(metrics.counterTotal(label: "coffer_reencrypt_secret_versions_total", dimensions: [("result", "reencrypted")]) == 3)
        #expect(metrics.counterTotal(label: "coffer_reencrypt_batches_total") == 2)
        #expect(try metrics.expectMeter("coffer_reencrypt_remaining_secret_versions").lastValue == 0)

        // Audit: the buffered reads are counted in the queue, and committed by the flush.
        let committedBefore = metrics.counterTotal(label: "coffer_audit_records_committed_total")
        _ = try await acme.get(Self.names[1])
        #expect(try metrics.expectMeter("coffer_audit_queue_depth").lastValue == 1)
        try await vault.flushAudit()
        #expect(metrics.counterTotal(label: "coffer_audit_records_committed_total") == committedBefore + 1)
        #expect(try metrics.expectMeter("coffer_audit_queue_depth").lastValue == 0)
        #expect(try metrics.expectTimer("coffer_audit_flush_duration_seconds").values.isEmpty == false)
    }

    @Test("no dimension value is a secret name or value; the workspace is a dimension only when the configuration opts in",
          arguments: [false, true])
    func dimensionsNeverCarrySecrets(includeWorkspace: Bool) async throws {
        let metrics = TestMetrics()
        let fixture = try ServiceFixture {
            $0.metricsFactory = metrics
            $0.metricsIncludeWorkspace = includeWorkspace
        }
        let vault = try fixture.vault()
        try await vault.createWorkspace("acme")
        let acme = try vault.workspace("acme")
        for (name, value) in zip(Self.names, Self.values) { try await acme.put(name, value: SecretBytes(Array(value.utf8))) }
        await #expect(throws: VaultError.self) { try await acme.put(Self.names[0], value: SecretBytes(Array("x".utf8)), expectedVersion: 9) }
        for name in Self.names { _ = try await acme.get(name) }
        await #expect(throws: VaultError.self) { try await acme.get("billing/missing") }
        try await vault.rotateDataKey(workspace: "acme")
        try await vault.reencrypt()
        try await vault.flushAudit()

        let dimensions = metrics.counters.flatMap(\.dimensions) + metrics.timers.flatMap(\.dimensions)
            + metrics.meters.flatMap(\.dimensions) + metrics.recorders.flatMap(\.dimensions)
        #expect(!dimensions.isEmpty)
        let secrets = Self.names + Self.values + ["billing/missing"]
        for (key, value) in dimensions {
            #expect(!secrets.contains { value.contains($0) || key.contains($0) }, "dimension \(key)")
        }
        let workspaceDimensions = dimensions.filter { $0.0 == "workspace" }
        #expect(workspaceDimensions.isEmpty == !includeWorkspace)
        #expect(workspaceDimensions.allSatisfy { $0.1 == "acme" })
    }
}
