import Coffer
import CofferAWSKMS
import CofferCrypto
import CofferSQLite
import Foundation
import InMemoryTracing
import Testing
import Tracing

/// A KMS call is visible in a trace: a cold get on a vault whose KEK is in the local KMS shows
/// `coffer.get` → `coffer.unwrap_data_key` → `coffer.kek.unwrap` → `aws-kms.Decrypt`.
@Suite(.enabled(if: LocalKMS.available, "COFFER_TEST_KMS_URL is not set: start moto with scripts/kms.sh"))
struct KMSTracingTests {
    @Test func aColdGetShowsTheKMSDecryptInsideTheVaultsSpans() async throws {
        let tracer = InMemoryTracer()
        let arn = try await LocalKMS.createKey()
        var kmsConfiguration = try LocalKMS.provider(key: arn).client.configuration
        kmsConfiguration.tracer = tracer
        let kek = AWSKMSKEKProvider(configuration: kmsConfiguration, logger: LocalKMS.logger)
        let path = try KMSVaultTests.tempStore()
        var configuration = VaultConfiguration()
        configuration.tracer = tracer
        func vault() throws -> Vault {
            Vault(store: try SQLiteStore(path: path, logger: LocalKMS.logger), kek: kek, configuration: configuration, logger: LocalKMS.logger)
        }
        let seeding = try vault()
        try await seeding.createWorkspace("acme")
        try await seeding.workspace("acme").put("github/token", value: SecretBytes(Array("value".utf8)))
        let generate = try #require(tracer.finishedSpans.first { $0.operationName == "aws-kms.GenerateDataKey" })
        #expect(generate.kind == .client)
        #expect(generate.attributes["rpc.method"]?.toSpanAttribute() == .string("GenerateDataKey"))
        #expect(generate.attributes["aws.kms.attempts"]?.toSpanAttribute() == .int64(1))

        let cold = try vault()
        tracer.clearAll()
        _ = try await cold.workspace("acme").get("github/token")
        let spans = tracer.finishedSpans
        let get = try #require(spans.first { $0.operationName == "coffer.get" })
        let load = try #require(spans.first { $0.operationName == "coffer.unwrap_data_key" })
        let kekCall = try #require(spans.first { $0.operationName == "coffer.kek.unwrap" && $0.parentSpanID == load.spanID })
        let decrypt = try #require(spans.first { $0.operationName == "aws-kms.Decrypt" && $0.parentSpanID == kekCall.spanID })
        #expect(load.parentSpanID == get.spanID)
        #expect(kekCall.attributes["coffer.kek.provider"]?.toSpanAttribute() == .string("aws-kms"))
        #expect(decrypt.traceID == get.traceID)
    }
}
