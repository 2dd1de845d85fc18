import Coffer
import CofferCrypto
import CofferSQLite
import Foundation

/// A store that forwards every call to a real ``SQLiteStore``; the conformance self-tests'
/// broken stores conform and override only the method they break.
protocol ForwardingStore: SecretStore {
    var base: SQLiteStore { get }
}

extension ForwardingStore {
    func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws {
        try await base.createWorkspace(workspace, firstDataKey: firstDataKey)
    }
    func workspace(_ id: String) async throws -> WorkspaceRecord? { try await base.workspace(id) }
    func listWorkspaces() async throws -> [WorkspaceRecord] { try await base.listWorkspaces() }
    func dataKeys(workspace: String) async throws -> [DataKeyRecord] { try await base.dataKeys(workspace: workspace) }
    func putSecretVersion(_ request: PutSecretRequest, seal: @Sendable (UInt32) throws -> [UInt8]) async throws -> SecretVersionInfo {
        try await base.putSecretVersion(request, seal: seal)
    }
    func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion? {
        try await base.secretVersion(workspace: workspace, name: name, version: version)
    }
    func listSecrets(workspace: String) async throws -> [SecretSummary] { try await base.listSecrets(workspace: workspace) }
    func history(workspace: String, name: String) async throws -> [SecretVersionInfo] {
        try await base.history(workspace: workspace, name: name)
    }
    func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32] {
        try await base.setDeleted(workspace: workspace, name: name, versions: versions, deletedAt: deletedAt)
    }
}

/// ``ForwardingStore`` for the rotation contract.
protocol ForwardingRotatingStore: ForwardingStore, RotatingSecretStore {}

extension ForwardingRotatingStore {
    func rotateDataKey(_ record: DataKeyRecord, expectedPrimary: UInt32) async throws -> Bool {
        try await base.rotateDataKey(record, expectedPrimary: expectedPrimary)
    }
    func dataKeys(notWrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        try await base.dataKeys(notWrappedBy: kekID, limit: limit)
    }
    func rewrapDataKeys(_ rewraps: [DataKeyRewrap]) async throws -> Int { try await base.rewrapDataKeys(rewraps) }
    func dataKeyCountByKEK() async throws -> [KEKIdentifier: Int] { try await base.dataKeyCountByKEK() }
    func secretVersions(
        workspace: String, sealedUnder dataKeyVersions: Set<UInt32>, after cursor: SecretVersionCursor?, limit: Int
    ) async throws -> [StoredSecretVersion] {
        try await base.secretVersions(workspace: workspace, sealedUnder: dataKeyVersions, after: cursor, limit: limit)
    }
    func replaceCiphertexts(workspace: String, _ replacements: [CiphertextReplacement], encryptionLimit: UInt64?) async throws -> Int {
        try await base.replaceCiphertexts(workspace: workspace, replacements, encryptionLimit: encryptionLimit)
    }
    func dataKeyUsage(workspace: String) async throws -> [DataKeyUsage] { try await base.dataKeyUsage(workspace: workspace) }
    func setMinimumDecryptionVersion(workspace: String, _ version: UInt32) async throws {
        try await base.setMinimumDecryptionVersion(workspace: workspace, version)
    }
    func destroyDataKey(workspace: String, version: UInt32) async throws {
        try await base.destroyDataKey(workspace: workspace, version: version)
    }
    func setRotationPolicy(workspace: String, _ policy: RotationPolicy?) async throws {
        try await base.setRotationPolicy(workspace: workspace, policy)
    }
}

/// ``ForwardingStore`` for the lifecycle contract.
protocol ForwardingLifecycleStore: ForwardingRotatingStore, LifecycleSecretStore {}

extension ForwardingLifecycleStore {
    func setWorkspaceDeleted(_ id: String, at deletedAt: Date?) async throws -> Bool {
        try await base.setWorkspaceDeleted(id, at: deletedAt)
    }
    func shredWorkspace(_ id: String, now: Date, newKeyGeneration: String) async throws -> WorkspaceShredResult? {
        try await base.shredWorkspace(id, now: now, newKeyGeneration: newKeyGeneration)
    }
    func workspacesDeleted(atOrBefore cutoff: Date) async throws -> [WorkspaceRecord] {
        try await base.workspacesDeleted(atOrBefore: cutoff)
    }
    func purgeDeletedSecretVersions(deletedAtOrBefore cutoff: Date, limit: Int) async throws -> [PurgedSecretVersion] {
        try await base.purgeDeletedSecretVersions(deletedAtOrBefore: cutoff, limit: limit)
    }
    func putSecretVersions(
        _ requests: [PutSecretRequest], seal: @Sendable (Int, UInt32) throws -> [UInt8]
    ) async throws -> [SecretVersionInfo] {
        try await base.putSecretVersions(requests, seal: seal)
    }
    func auditKeys() async throws -> [AuditKeyRecord] { try await base.auditKeys() }
    func insertAuditKey(_ record: AuditKeyRecord) async throws -> Bool { try await base.insertAuditKey(record) }
    func rewrapAuditKey(version: UInt32, expectedKEKID: KEKIdentifier, wrapped: WrappedDataKey) async throws -> Bool {
        try await base.rewrapAuditKey(version: version, expectedKEKID: expectedKEKID, wrapped: wrapped)
    }
    func appendAudit(
        count: Int, chain: @Sendable (AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> AuditChainHead {
        try await base.appendAudit(count: count, chain: chain)
    }
    func auditHead() async throws -> AuditChainHead { try await base.auditHead() }
    func auditCheckpoint() async throws -> AuditCheckpoint? { try await base.auditCheckpoint() }
    func readAuditSnapshot(
        pageSize: Int, state: (AuditSnapshot) throws -> Bool, records: ([AuditRecord]) throws -> Bool
    ) async throws {
        try await base.readAuditSnapshot(pageSize: pageSize, state: state, records: records)
    }
    func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] { try await base.auditRecords(query) }
    func lastAuditSequence(before cutoff: Date) async throws -> UInt64? { try await base.lastAuditSequence(before: cutoff) }
    func purgeAudit(through checkpoint: AuditCheckpoint) async throws -> Int { try await base.purgeAudit(through: checkpoint) }
}
