public import CofferCrypto
import Foundation
import Logging

/// Export and import: portability of a workspace's live secrets.
extension WorkspaceScope {
    /// Every secret's current live version (the highest version not soft-deleted) with its
    /// value and metadata, ordered by name. Audited as one `export` record.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``, ``VaultError/workspaceDeleted(_:)``,
    ///   ``VaultError/authenticationFailed`` (then nothing is returned).
    public func export() async throws -> WorkspaceExport {
        try await core.audited(.export, actor: actor, workspace: id) {
            var secrets: [ExportedSecret] = []
            let summaries = try await core.store.listSecrets(workspace: id)
            if summaries.isEmpty { try await core.requireWorkspace(id) }
            for summary in summaries where summary.liveVersionCount > 0 {
                let history = try await core.store.history(workspace: id, name: summary.name)
                guard let live = history.last(where: { $0.deletedAt == nil }) else { continue }
                let secret = try await getUnaudited(summary.name, version: live.version)
                secrets.append(ExportedSecret(
                    name: summary.name, version: live.version, metadata: secret.info.metadata,
                    createdAt: secret.info.createdAt, value: secret.value))
            }
            return WorkspaceExport(workspace: id, exportedAt: AuditChain.storedPrecision(core.configuration.now()), secrets: secrets)
        } describe: { export in (nil, "\(export.secrets.count) secrets") }
    }

    /// Writes every secret of `export` into this workspace (the export may come from another
    /// workspace or deployment), all in one transaction: either every secret gets a new
    /// version or nothing is written. Values and metadata are validated first.
    /// - Parameter export: the parsed export (``WorkspaceExport/init(json:)``); its workspace id
    ///   and each secret's version and creation time are informational and not kept.
    /// - Parameter overwrite: false (default): a secret that already exists here fails the
    ///   whole import with ``VaultError/checkAndSetConflict(workspace:name:expected:actual:)``;
    ///   true: a new version is written on top.
    /// - Parameter creatingWorkspace: create the workspace (audited as `createWorkspace`) when
    ///   it does not exist, only after every item has been validated: an import that fails
    ///   validation leaves no workspace behind.
    /// - Throws: ``VaultError/invalidImport(_:)`` (duplicate names), the validation errors of
    ///   ``put(_:value:metadata:expectedVersion:)``, ``VaultError/workspaceNotFound(_:)``.
    @discardableResult
    public func importSecrets(_ export: WorkspaceExport, overwrite: Bool = false, creatingWorkspace: Bool = false) async throws -> ImportReport {
        try await core.audited(.import, actor: actor, workspace: id) {
            try await importUnaudited(
                export.secrets.map { ($0.name, $0.value, $0.metadata) }, overwrite: overwrite, skipped: [], creatingWorkspace: creatingWorkspace)
        } describe: { report in (nil, "\(report.written.count) secrets from export of '\(export.workspace)'") }
    }

    /// Opens a sealed bundle (`ExportBundle`) with `identity` and imports it as
    /// ``importSecrets(_:overwrite:creatingWorkspace:)`` does. The bundle is authenticated as a whole before
    /// anything is parsed or written: a damaged bundle writes nothing.
    @discardableResult
    public func importBundle(
        _ bundle: [UInt8], identity: X25519KeyPair, overwrite: Bool = false, creatingWorkspace: Bool = false
    ) async throws -> ImportReport {
        let json = try await VaultCore.mappingCrypto { try ExportBundle.open(bundle, with: identity) }
        return try await importSecrets(try WorkspaceExport(json: json), overwrite: overwrite, creatingWorkspace: creatingWorkspace)
    }

    /// Opens a passphrase-sealed bundle and imports it (see ``importBundle(_:identity:overwrite:creatingWorkspace:)``).
    /// - Parameter bundle: the bundle's bytes, as ``exportBundle(passphrase:cost:)`` wrote them.
    /// - Parameter passphrase: the passphrase the bundle was sealed under, in wiped memory.
    /// - Parameter maxArgon2Cost: the most Argon2id work accepted from the bundle's header
    ///   (default `ExportBundle/defaultMaxCost`, 4 passes over 256 MiB): a bundle asking for
    ///   more is refused with ``VaultError/invalidImport(_:)`` before Argon2id runs. A damaged
    ///   bundle or a wrong passphrase is ``VaultError/bundleAuthenticationFailed``.
    /// - Parameter overwrite: see ``importSecrets(_:overwrite:creatingWorkspace:)``.
    /// - Parameter creatingWorkspace: see ``importSecrets(_:overwrite:creatingWorkspace:)``.
    @discardableResult
    public func importBundle(
        _ bundle: [UInt8], passphrase: SecretBytes, maxArgon2Cost: PassphraseKEKProvider.Cost = ExportBundle.defaultMaxCost,
        overwrite: Bool = false, creatingWorkspace: Bool = false
    ) async throws -> ImportReport {
        let json = try await VaultCore.mappingCrypto { try ExportBundle.open(bundle, passphrase: passphrase, maxCost: maxArgon2Cost) }
        return try await importSecrets(try WorkspaceExport(json: json), overwrite: overwrite, creatingWorkspace: creatingWorkspace)
    }

    /// ``export()`` sealed to a recipient's X25519 public key (`ExportBundle`).
    public func exportBundle(to recipient: X25519PublicKey) async throws -> [UInt8] {
        let json = try await export().jsonBytes()
        return try await VaultCore.mappingCrypto { try ExportBundle.seal(json, to: recipient) }
    }

    /// ``export()`` sealed under a passphrase (Argon2id at `cost`, default MODERATE; `ExportBundle`).
    public func exportBundle(passphrase: SecretBytes, cost: PassphraseKEKProvider.Cost = .moderate) async throws -> [UInt8] {
        let json = try await export().jsonBytes()
        return try await VaultCore.mappingCrypto { try ExportBundle.seal(json, passphrase: passphrase, cost: cost) }
    }

    /// Moves Fernet-encrypted credentials into Coffer: stores every entry of `file` (already
    /// opened with the Fernet keys, see ``FernetImportFile``) as a raw secret sealed under this
    /// workspace's data key, labelled `imported-from: fernet`, all in one transaction.
    /// - Parameter file: the parsed Fernet file (``FernetImportFile/init(contentsOf:keys:ttl:now:)``):
    ///   its ``FernetImportFile/entries`` are written, its ``FernetImportFile/failures`` decide
    ///   with `skipInvalid`.
    /// - Parameter skipInvalid: false (default): any invalid line fails the whole import with
    ///   ``VaultError/invalidImport(_:)`` listing the lines, and nothing is written; true: the
    ///   valid lines are imported and the invalid ones reported in ``ImportReport/skipped``.
    /// - Parameter overwrite: see ``importSecrets(_:overwrite:creatingWorkspace:)``.
    /// - Parameter creatingWorkspace: see ``importSecrets(_:overwrite:creatingWorkspace:)``.
    @discardableResult
    public func importFernet(
        _ file: FernetImportFile, skipInvalid: Bool = false, overwrite: Bool = false, creatingWorkspace: Bool = false
    ) async throws -> ImportReport {
        try await core.audited(.import, actor: actor, workspace: id) {
            let skipped = file.failures.map { ImportReport.Skipped(line: $0.line, reason: $0.reason) }
            if !skipped.isEmpty, !skipInvalid {
                let list = skipped.prefix(20).map { "line \($0.line): \($0.reason)" }.joined(separator: "; ")
                let more = skipped.count > 20 ? "; and \(skipped.count - 20) more" : ""
                throw VaultError.invalidImport("\(skipped.count) invalid line(s): \(list)\(more) (use --skip-invalid to import the valid lines)")
            }
            let metadata = SecretMetadata(kind: .raw, labels: ["imported-from": "fernet"])
            return try await importUnaudited(
                file.entries.map { ($0.name, $0.value, metadata) }, overwrite: overwrite, skipped: skipped, creatingWorkspace: creatingWorkspace)
        } describe: { report in (nil, "\(report.written.count) secrets from fernet, \(report.skipped.count) skipped") }
    }

    /// Validates every item, then (when `creatingWorkspace` and it is missing) creates the
    /// workspace, then writes them all in one store transaction.
    private func importUnaudited(
        _ items: [(name: String, value: SecretBytes, metadata: SecretMetadata)], overwrite: Bool, skipped: [ImportReport.Skipped],
        creatingWorkspace: Bool
    ) async throws -> ImportReport {
        let store = try core.lifecycleStore()
        var seen = Set<String>()
        var prepared: [(name: String, value: SecretBytes, metadata: SecretMetadata)] = []
        for item in items {
            guard seen.insert(item.name).inserted else { throw VaultError.invalidImport("secret '\(item.name)' appears twice") }
            let (value, metadata) = try self.prepared(item.name, value: item.value, metadata: item.metadata)
            prepared.append((item.name, value, metadata))
        }
        prepared.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        if creatingWorkspace, try await core.store.workspace(id) == nil {
            do {
                try await core.audited(.createWorkspace, actor: actor, workspace: id) { _ = try await core.createWorkspace(id) }
            } catch VaultError.workspaceExists {
                // Created by another writer meanwhile: import into it.
            }
        }
        if prepared.isEmpty {
            try await core.requireWorkspace(id)
            return ImportReport(workspace: id, written: [], skipped: skipped)
        }
        let workspace = id
        let values = prepared.map(\.value)
        let names = prepared.map(\.name)
        let written = try await core.sealingUnderPrimary(workspace: id) { dataKeyVersion, encryptionLimit in
            let key = try await core.dataKey(workspace: workspace, version: dataKeyVersion)
            let now = core.configuration.now()
            let requests = prepared.map { item in
                PutSecretRequest(
                    workspace: workspace, name: item.name, expectedCurrentVersion: overwrite ? nil : 0, metadata: item.metadata,
                    dataKeyVersion: dataKeyVersion, maxVersions: max(1, core.configuration.maxVersionsPerSecret),
                    now: now, dataKeyEncryptionLimit: encryptionLimit)
            }
            return try await store.putSecretVersions(requests) { index, version in
                try VaultCore.seal(values[index], with: key, workspace: workspace, name: names[index], version: version)
            }
        }
        core.logger.info("imported secrets", metadata: ["workspace": "\(id)", "count": "\(written.count)", "skipped": "\(skipped.count)"])
        return ImportReport(workspace: id, written: written, skipped: skipped)
    }
}
