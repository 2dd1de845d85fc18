import Coffer
import CofferCrypto
import CofferSQLite
import CofferStoreConformance
import Foundation
import Testing

/// The rotation checks can fail: run against deliberately broken stores, their expectation
/// failures must reach the calling test (`withKnownIssue` fails when no issue is recorded).
@Suite("Rotation conformance self-test")
struct RotationConformanceSelfTests {
    private func broken(_ flaw: BrokenRotatingStore.Flaw) throws -> (TempDirectory, BrokenRotatingStore) {
        let dir = try TempDirectory()
        let base = try SQLiteStore(path: dir.path + "/c.db", logger: StoreTestSupport.logger)
        return (dir, BrokenRotatingStore(base: base, flaw: flaw))
    }

    @Test func rotationIgnoringThePrimaryIsCaught() async throws {
        let (dir, store) = try broken(.rotationIgnoresExpectedPrimary)
        await withKnownIssue {
            try await StoreConformance.rotationCheck(named: "rotateDataKey: check-and-set on the primary, next version only, count starts at 0").run(store)
        }
        _ = dir
    }

    @Test func unconditionalReplaceIsCaught() async throws {
        let (dir, store) = try broken(.replaceIgnoresExpectedVersion)
        await withKnownIssue {
            try await StoreConformance.rotationCheck(named: "replaceCiphertexts applies per row only if still sealed under the expected key, and counts").run(store)
        }
        _ = dir
    }

    @Test func usageMixingLiveAndDeletedIsCaught() async throws {
        let (dir, store) = try broken(.usageSwapsLiveAndDeleted)
        await withKnownIssue {
            try await StoreConformance.rotationCheck(named: "dataKeyUsage counts live and soft-deleted kept versions per data key").run(store)
        }
        _ = dir
    }

    @Test func pagesOutOfOrderAreCaught() async throws {
        let (dir, store) = try broken(.reversedPages)
        await withKnownIssue {
            try await StoreConformance.rotationCheck(
                named: "secretVersions pages kept versions of the given data keys in (name, version) order after the cursor").run(store)
        }
        _ = dir
    }

    @Test func checkNamesAreUnique() {
        let names = StoreConformance.rotationChecks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 15)
    }
}

/// A rotating store that forwards to a real one but breaks one rule.
struct BrokenRotatingStore: ForwardingRotatingStore {
    enum Flaw: Sendable { case rotationIgnoresExpectedPrimary, replaceIgnoresExpectedVersion, usageSwapsLiveAndDeleted, reversedPages }
    let base: SQLiteStore
    let flaw: Flaw

    func rotateDataKey(_ record: DataKeyRecord, expectedPrimary: UInt32) async throws -> Bool {
        var expected = expectedPrimary
        if flaw == .rotationIgnoresExpectedPrimary, let current = try await base.workspace(record.workspace) {
            expected = current.primaryDataKeyVersion
        }
        return try await base.rotateDataKey(record, expectedPrimary: expected)
    }
    func secretVersions(
        workspace: String, sealedUnder dataKeyVersions: Set<UInt32>, after cursor: SecretVersionCursor?, limit: Int
    ) async throws -> [StoredSecretVersion] {
        let page = try await base.secretVersions(workspace: workspace, sealedUnder: dataKeyVersions, after: cursor, limit: limit)
        return flaw == .reversedPages ? page.reversed() : page
    }
    func replaceCiphertexts(workspace: String, _ replacements: [CiphertextReplacement], encryptionLimit: UInt64?) async throws -> Int {
        var replacements = replacements
        if flaw == .replaceIgnoresExpectedVersion {
            for i in replacements.indices {
                let current = try await base.secretVersion(workspace: workspace, name: replacements[i].name, version: replacements[i].version)
                if let current { replacements[i].expectedDataKeyVersion = current.info.dataKeyVersion }
            }
        }
        return try await base.replaceCiphertexts(workspace: workspace, replacements, encryptionLimit: encryptionLimit)
    }
    func dataKeyUsage(workspace: String) async throws -> [DataKeyUsage] {
        let usage = try await base.dataKeyUsage(workspace: workspace)
        guard flaw == .usageSwapsLiveAndDeleted else { return usage }
        return usage.map { DataKeyUsage(dataKeyVersion: $0.dataKeyVersion, liveSecretVersions: $0.deletedSecretVersions, deletedSecretVersions: $0.liveSecretVersions) }
    }
}
