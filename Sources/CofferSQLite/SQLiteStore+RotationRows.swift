import Coffer
import CofferCrypto
import Foundation
import GRDB

/// Columns and row decoding shared by the ``SecretStore``, ``RotatingSecretStore`` and
/// ``LifecycleSecretStore`` methods (schema v2: rotation state on `workspaces` and `data_keys`;
/// schema v3: key generation and lifecycle state on `workspaces`).
extension SQLiteStore {
    /// The columns ``workspaceRecord(_:)`` decodes, in order.
    static let workspaceColumns =
        "id, created_at, primary_dek_version, min_dek_version, max_dek_age_seconds, max_dek_encryptions, "
        + "key_generation, deleted_at, shredded_at"

    /// The rotation columns `createWorkspace` fills, in the order of ``workspaceRotationArguments(_:firstDataKey:)``.
    static let workspaceRotationColumns =
        "min_dek_version, max_dek_age_seconds, max_dek_encryptions, last_dek_version, key_generation"

    /// Values of ``workspaceRotationColumns`` for a new workspace.
    static func workspaceRotationArguments(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) -> StatementArguments {
        [
            Int64(max(1, workspace.minimumDecryptionVersion)),
            workspace.rotationPolicy?.maxDataKeyAgeSeconds,
            workspace.rotationPolicy?.maxEncryptionsPerDataKey.map { Int64(clamping: $0) },
            Int64(max(workspace.primaryDataKeyVersion, firstDataKey.version)),
            workspace.keyGeneration,
        ]
    }

    /// Decodes ``workspaceColumns`` starting at column 0. A policy with neither limit set is
    /// stored as no override and reads back as nil (the two mean the same: the vault default).
    static func workspaceRecord(_ row: Row) throws -> WorkspaceRecord {
        let id = try row.checked(0, "workspaces.id", as: String.self)
        let age = try row.checkedOptional(4, "workspaces.max_dek_age_seconds", as: Double.self)
        let encryptions = try row.checkedOptional(5, "workspaces.max_dek_encryptions", as: Int64.self)
        var policy: RotationPolicy?
        if age != nil || encryptions != nil {
            var maxEncryptions: UInt64?
            if let encryptions {
                guard let value = UInt64(exactly: encryptions) else {
                    throw VaultError.storeCorrupted("workspace '\(id)' has a negative encryption limit")
                }
                maxEncryptions = value
            }
            policy = try SQLiteCoding.storedPolicy(
                RotationPolicy(maxDataKeyAgeSeconds: age, maxEncryptionsPerDataKey: maxEncryptions), workspace: id)
        }
        return WorkspaceRecord(
            id: id, createdAt: SQLiteCoding.date(micros: try row.checked(1, "workspaces.created_at")),
            primaryDataKeyVersion: try SQLiteCoding.version(row.checked(2, "workspaces.primary_dek_version")),
            minimumDecryptionVersion: try SQLiteCoding.version(row.checked(3, "workspaces.min_dek_version")),
            rotationPolicy: policy,
            keyGeneration: try row.checkedOptional(6, "workspaces.key_generation"),
            deletedAt: try SQLiteCoding.optionalDate(row, 7, "workspaces.deleted_at"),
            shreddedAt: try SQLiteCoding.optionalDate(row, 8, "workspaces.shredded_at"))
    }

    /// The columns ``dataKeyRecord(_:)`` decodes, in order, from ``dataKeyTables`` (the
    /// generation comes from the workspace row as it is now, never from the data key).
    static let dataKeyColumns =
        "d.workspace_id, d.version, d.kek_id, d.wrapped, d.created_at, d.encryption_count, w.key_generation"

    /// The join ``dataKeyColumns`` reads from: data keys `d` with their workspace `w`.
    static let dataKeyTables = "data_keys AS d JOIN workspaces AS w ON w.id = d.workspace_id"

    /// Decodes ``dataKeyColumns`` starting at column 0.
    static func dataKeyRecord(_ row: Row) throws -> DataKeyRecord {
        let workspace = try row.checked(0, "data_keys.workspace_id", as: String.self)
        let kekText = try row.checked(2, "data_keys.kek_id", as: String.self)
        guard let kekID = try? KEKIdentifier(parsing: kekText) else {
            throw VaultError.storeCorrupted("data key of workspace '\(workspace)' has a malformed KEK id")
        }
        let count = try row.checked(5, "data_keys.encryption_count", as: Int64.self)
        guard let encryptionCount = UInt64(exactly: count) else {
            throw VaultError.storeCorrupted("data key of workspace '\(workspace)' has a negative encryption count")
        }
        return DataKeyRecord(
            workspace: workspace, version: try SQLiteCoding.version(row.checked(1, "data_keys.version")),
            wrapped: WrappedDataKey(kekID: kekID, ciphertext: try row.checkedBytes(3, "data_keys.wrapped")),
            createdAt: SQLiteCoding.date(micros: try row.checked(4, "data_keys.created_at")), encryptionCount: encryptionCount,
            keyGeneration: try row.checkedOptional(6, "workspaces.key_generation"))
    }

    /// Counts ``PutSecretRequest/encryptionsToCount`` encryptions under
    /// `request.dataKeyVersion`, inside `putSecretVersion`'s write transaction (so the count
    /// and the limit are exact across processes): one UPDATE that applies only if the data key
    /// exists, is not retired and stays within the limit. Counting 0 (an encryption the vault
    /// leased earlier) writes nothing and only checks the key is usable (`keyUsable`, when the
    /// caller read it in its workspace check, saves that statement).
    /// - Throws: ``VaultError/dataKeyNotFound(workspace:version:)`` (missing or retired key),
    ///   ``VaultError/dataKeyExhausted(workspace:version:)``; the caller's transaction then
    ///   rolls back and nothing is written.
    static func countEncryption(_ db: Database, _ request: PutSecretRequest, keyUsable: Bool? = nil) throws {
        let ws = request.workspace
        let version = request.dataKeyVersion
        let count = request.encryptionsToCount
        guard count <= UInt64(Int64.max) else {
            throw VaultError.invalidValue("cannot count \(count) encryptions at once")
        }
        if count > 0 {
            let changed = try SQLiteDirect.execute(db.cachedStatement(sql: """
                UPDATE data_keys SET encryption_count = encryption_count + ?4
                WHERE workspace_id = ?1 AND version = ?2
                  AND version >= (SELECT min_dek_version FROM workspaces WHERE id = ?1)
                  AND (?3 IS NULL OR encryption_count <= ?3 - ?4)
                """), in: db, [
                    .text(ws), .integer(Int64(version)), .integer(request.dataKeyEncryptionLimit.map { Int64(clamping: $0) }),
                    .integer(Int64(count)),
                ])
            if changed == 1 { return }
        }
        let usable = try keyUsable ?? (SQLiteDirect.firstInteger(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = ?1 AND version = ?2
                           AND version >= (SELECT min_dek_version FROM workspaces WHERE id = ?1))
            """), in: db, [.text(ws), .integer(Int64(version))]) == .some(.some(1)))
        if usable {
            if count == 0 { return }
            throw VaultError.dataKeyExhausted(workspace: ws, version: version)
        }
        throw VaultError.dataKeyNotFound(workspace: ws, version: version)
    }
}
