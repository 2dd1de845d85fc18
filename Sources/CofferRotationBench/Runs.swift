import Coffer
import CofferCrypto
import CofferSQLite
import Foundation

/// The two measured operations. Each prints one result line (`key=value` pairs; no value or
/// key material) and throws when the verification afterwards fails.
enum Runs {
    /// Rotates the data key of the vault built by ``Fixture/populate(db:rows:chunk:)`` (or left
    /// by an earlier run) and times `Vault.reencrypt(batchSize:)` over every workspace; then
    /// checks the census (every kept version on the new primary, nothing left to re-encrypt,
    /// the new key's encryption count) and opens a sample of values through the vault.
    ///
    /// Peak RSS: `ru_maxrss` of this process, which only opens the vault before the timed
    /// phase; run it as its own process (not after `populate`), e.g. under `/usr/bin/time -v`.
    static func reencrypt(db: String, batchSize: Int, sampleCount: Int) async throws {
        let kek = try Fixture.loadKEK(db)
        let store = try SQLiteStore(path: db, logger: Fixture.logger)
        let vault = Vault(store: store, kek: kek, logger: Fixture.logger)
        // Index-only count (the full census runs once, after the timed phase).
        let rows = try Fixture.countRows(db: db)
        let newPrimary = try await vault.rotateDataKey(workspace: Fixture.workspace)
        let countBefore = try await store.dataKeys(workspace: Fixture.workspace).first { $0.version == newPrimary }?.encryptionCount ?? 0

        let rssStart = Measure.currentRSSMegabytes()
        let load = Measure.loadAverage()
        let c0 = Measure.cpu()
        let t0 = Measure.now()
        let report = try await vault.reencrypt(batchSize: batchSize)
        let seconds = Measure.now() - t0
        let cpu = Measure.cpu() - c0
        let peak = Measure.maxRSSMegabytes()
        let rssEnd = Measure.currentRSSMegabytes()

        // Verification (not timed).
        guard report.finished, report.reencrypted == rows, report.skipped == 0 else {
            throw BenchError("re-encryption report: \(report.reencrypted) of \(rows) re-encrypted, \(report.skipped) skipped")
        }
        let after = try await vault.status(workspace: Fixture.workspace)
        guard let w = after.workspaces.first, w.primaryDataKeyVersion == newPrimary, w.secretVersionsToReencrypt == 0,
              let key = w.dataKeys.first(where: { $0.version == newPrimary }),
              key.liveSecretVersions + key.deletedSecretVersions == rows,
              key.encryptionCount == countBefore + UInt64(rows),
              w.dataKeys.allSatisfy({ $0.version == newPrimary || $0.liveSecretVersions + $0.deletedSecretVersions == 0 })
        else { throw BenchError("census after re-encryption does not show every row on data key v\(newPrimary)") }
        let scope = try vault.workspace(Fixture.workspace)
        let sample = Fixture.sample(rows: rows, count: sampleCount)
        for i in sample {
            let secret = try await scope.get(Fixture.name(i))
            guard secret.info.dataKeyVersion == newPrimary, secret.value.unprotectedArray() == Fixture.value(i) else {
                throw BenchError("secret \(i) is not on v\(newPrimary) or does not open to its value")
            }
        }

        print("reencrypt rows=\(rows) batch=\(batchSize) dek=v\(newPrimary - 1)->v\(newPrimary) seconds=\(Measure.f(seconds, 3))"
            + " rows_per_s=\(Int((Double(rows) / seconds).rounded())) cpu_s=\(Measure.f(cpu, 3))"
            + " peak_rss_mb=\(Measure.f(peak, 1)) rss_start_mb=\(Measure.f(rssStart, 1)) rss_end_mb=\(Measure.f(rssEnd, 1))"
            + " batches=\(report.batches) load1=\(Measure.f(load)) verified=census+\(sample.count)_values")
    }

    /// Builds a vault with `workspaces` workspaces (one data key each, created through the
    /// vault; a secret in a few of them), then times `Vault.rotateKEK(to:batchSize:)` to a
    /// fresh KEK; checks the report, the census (every data key on the new KEK) and that a
    /// vault configured with only the new KEK opens the sample secrets.
    static func kek(db: String, workspaces: Int, batchSize: Int) async throws {
        guard !FileManager.default.fileExists(atPath: db) else { throw BenchError("\(db) exists; kek needs a new path") }
        let oldKEK = try Fixture.makeKEK(db)
        let store = try SQLiteStore(path: db, logger: Fixture.logger)
        let id = Fixture.workspaceID
        let sample = Fixture.sample(rows: workspaces, count: 20)
        try await Fixture.createWorkspaces(workspaces, in: store, kek: oldKEK)
        let writer = Vault(store: store, kek: oldKEK, logger: Fixture.logger)
        for i in sample { try await writer.workspace(id(i)).put("probe", value: SecretBytes(Fixture.value(i))) }
        // The measured vault starts with an empty cache, like an operator's `coffer rotate-kek`.
        let vault = Vault(store: store, kek: oldKEK, logger: Fixture.logger)

        let newKEK = try LocalKEK(SymmetricKey.generate(), displayName: "bench-new")
        let (seconds, cpu, load, report) = try await Fixture.timedRotation(vault, to: newKEK, batchSize: batchSize, expected: workspaces)
        let fresh = Vault(store: store, kek: newKEK, logger: Fixture.logger)
        let census = try await fresh.status()
        guard !census.otherKEKsNeeded, census.keks.count == 1, census.keks[0].kekID == newKEK.id,
              census.keks[0].dataKeys == workspaces, census.workspaces.count == workspaces,
              census.workspaces.allSatisfy({ $0.dataKeys.allSatisfy { $0.kekID == newKEK.id } })
        else { throw BenchError("census after KEK rotation does not show every data key under the new KEK") }
        for i in sample {
            let secret = try await fresh.workspace(id(i)).get("probe")
            guard secret.value.unprotectedArray() == Fixture.value(i) else { throw BenchError("probe of workspace \(i) does not open") }
        }
        print("rotate-kek workspaces=\(workspaces) batch=\(batchSize) seconds=\(Measure.f(seconds, 3))"
            + " keys_per_s=\(Int((Double(workspaces) / seconds).rounded())) cpu_s=\(Measure.f(cpu, 3))"
            + " batches=\(report.batches) load1=\(Measure.f(load)) verified=census+\(sample.count)_workspaces")
    }
}
