public import Coffer
public import Foundation
import GRDB

/// Workspace deletion and crypto-shredding, retention purges and batch puts on SQLite (schema
/// v3, see ``SQLiteSchemaV3``). Every changing method is one `BEGIN IMMEDIATE` transaction that
/// checks the workspace's state inside it.
extension SQLiteStore: LifecycleSecretStore {
    /// SQL condition true when the workspace bound to `?1` is neither deleted nor shredded
    /// (a shredded tombstone has `deleted_at` set too): one primary-key lookup, in the same
    /// statement as the read it guards.
    static let workspaceIsActive = "NOT EXISTS (SELECT 1 FROM workspaces WHERE id = ?1 AND deleted_at IS NOT NULL)"

    /// ``refuseInactiveWorkspace(_:_:)`` for a put, in the same statement: also answers whether
    /// data key `dataKeyVersion` is usable (exists and is not retired), so that a put with a
    /// leased encryption needs no statement of its own for it; nil when there is no such
    /// workspace.
    static func refuseInactiveWorkspace(_ db: Database, _ workspace: String, dataKeyVersion: UInt32) throws -> Bool? {
        let stmt = try db.cachedStatement(sql: """
            SELECT deleted_at IS NOT NULL, shredded_at IS NOT NULL,
                   ?2 >= min_dek_version AND EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = ?1 AND version = ?2)
            FROM workspaces WHERE id = ?1
            """)
        guard let row = try SQLiteDirect.firstRow(stmt, in: db, [.text(workspace), .integer(Int64(dataKeyVersion))]) else {
            return nil
        }
        guard row.count == 3, case .integer(let deleted) = row[0], case .integer(let shredded) = row[1],
              case .integer(let usable) = row[2]
        else { throw VaultError.storeCorrupted("the state of workspace '\(workspace)' does not decode") }
        if shredded != 0 { throw VaultError.workspaceShredded(workspace) }
        if deleted != 0 { throw VaultError.workspaceDeleted(workspace) }
        return usable != 0
    }

    /// Throws ``VaultError/workspaceShredded(_:)`` or ``VaultError/workspaceDeleted(_:)`` when
    /// `workspace` is in that state; does nothing for a live or missing workspace (each writer
    /// reports a missing one its own way). Call inside the write transaction.
    static func refuseInactiveWorkspace(_ db: Database, _ workspace: String) throws {
        let stmt = try db.cachedStatement(sql: """
            SELECT shredded_at IS NOT NULL FROM workspaces WHERE id = ? AND deleted_at IS NOT NULL
            """)
        guard let shredded = try SQLiteDirect.firstInteger(stmt, in: db, [.text(workspace)]) else { return }
        throw shredded == 1 ? VaultError.workspaceShredded(workspace) : VaultError.workspaceDeleted(workspace)
    }

    /// (deleted, shredded) of `workspace`, or nil when there is no such workspace.
    private static func lifecycleState(_ db: Database, _ workspace: String) throws -> (deleted: Bool, shredded: Bool)? {
        let stmt = try db.cachedStatement(sql: """
            SELECT deleted_at IS NOT NULL, shredded_at IS NOT NULL FROM workspaces WHERE id = ?
            """)
        return try Row.fetchOne(stmt, arguments: [workspace]).map {
            (try $0.checked(0, "workspaces.deleted_at", as: Bool.self), try $0.checked(1, "workspaces.shredded_at", as: Bool.self))
        }
    }

    // MARK: Workspaces

    /// See ``LifecycleSecretStore/setWorkspaceDeleted(_:at:)``.
    public func setWorkspaceDeleted(_ id: String, at deletedAt: Date?) async throws -> Bool {
        let changed = try write { db -> Bool in
            guard let state = try Self.lifecycleState(db, id) else { throw VaultError.workspaceNotFound(id) }
            if state.shredded { throw VaultError.workspaceShredded(id) }
            guard state.deleted != (deletedAt != nil) else { return false }
            try db.cachedStatement(sql: "UPDATE workspaces SET deleted_at = ?2 WHERE id = ?1")
                .execute(arguments: [id, SQLiteCoding.optionalMicros(deletedAt)])
            return true
        }
        if changed {
            logger.info(deletedAt == nil ? "workspace undeleted" : "workspace deleted", metadata: ["workspace": "\(id)"])
        }
        return changed
    }

    /// See ``LifecycleSecretStore/shredWorkspace(_:now:newKeyGeneration:)``. Like every
    /// connection of the store it runs with `PRAGMA secure_delete` on, so SQLite overwrites the freed content (wrapped
    /// data keys, ciphertexts) with zeros instead of leaving it in free pages; afterwards a
    /// truncating WAL checkpoint is attempted so the old pages do not linger in the `-wal` file
    /// either (best effort: with other connections reading at that instant they stay there until
    /// the WAL is next reset). The tombstone also drops the rotation-policy override.
    public func shredWorkspace(_ id: String, now: Date, newKeyGeneration: String) async throws -> WorkspaceShredResult? {
        let result = try write { db -> WorkspaceShredResult? in
            guard let state = try Self.lifecycleState(db, id) else { throw VaultError.workspaceNotFound(id) }
            if state.shredded { return nil }
            let versions = try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT version FROM data_keys WHERE workspace_id = ? ORDER BY version"),
                arguments: [id]
            ).map(SQLiteCoding.version)
            let count = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM secret_versions WHERE workspace_id = ?"), arguments: [id]) ?? 0
            for table in ["secret_versions", "secrets", "data_keys"] {
                try db.cachedStatement(sql: "DELETE FROM \(table) WHERE workspace_id = ?").execute(arguments: [id])
            }
            let stamp = SQLiteCoding.micros(now)
            try db.cachedStatement(sql: """
                UPDATE workspaces SET shredded_at = ?2, deleted_at = COALESCE(deleted_at, ?2), key_generation = ?3,
                    max_dek_age_seconds = NULL, max_dek_encryptions = NULL
                WHERE id = ?1
                """).execute(arguments: [id, stamp, newKeyGeneration])
            return WorkspaceShredResult(dataKeyVersionsDestroyed: versions, secretVersionsDestroyed: count)
        }
        if let result {
            if !checkpointTruncatingWAL() {
                logger.info("WAL not truncated after the shred (other connections active); it is reset at a later checkpoint", metadata: ["workspace": "\(id)"])
            }
            logger.notice(
                "workspace shredded",
                metadata: [
                    "workspace": "\(id)", "dataKeys": "\(result.dataKeyVersionsDestroyed.count)",
                    "secretVersions": "\(result.secretVersionsDestroyed)",
                ])
        }
        return result
    }

    /// See ``LifecycleSecretStore/workspacesDeleted(atOrBefore:)``.
    public func workspacesDeleted(atOrBefore cutoff: Date) async throws -> [WorkspaceRecord] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT \(Self.workspaceColumns) FROM workspaces
                WHERE deleted_at IS NOT NULL AND deleted_at <= ? AND shredded_at IS NULL ORDER BY id
                """)
            return try Row.fetchAll(stmt, arguments: [SQLiteCoding.micros(cutoff)]).map(Self.workspaceRecord)
        }
    }

    // MARK: Retention

    /// See ``LifecycleSecretStore/purgeDeletedSecretVersions(deletedAtOrBefore:limit:)``. Finds
    /// the candidates through the partial index `secret_versions_deleted` and deletes them by
    /// primary key in the same write transaction, so concurrent purges (other processes
    /// included) serialise on the writer lock and never report a row twice.
    public func purgeDeletedSecretVersions(deletedAtOrBefore cutoff: Date, limit: Int) async throws -> [PurgedSecretVersion] {
        guard limit > 0 else { return [] }
        let purged = try write { db -> [PurgedSecretVersion] in
            let select = try db.cachedStatement(sql: """
                SELECT v.workspace_id, v.name, v.version, v.deleted_at FROM secret_versions AS v
                JOIN workspaces AS w ON w.id = v.workspace_id
                WHERE v.deleted_at IS NOT NULL AND v.deleted_at <= ?1 AND w.deleted_at IS NULL
                ORDER BY v.workspace_id, v.name, v.version LIMIT ?2
                """)
            let rows = try Row.fetchAll(select, arguments: [SQLiteCoding.micros(cutoff), limit])
            let delete = try db.cachedStatement(sql: """
                DELETE FROM secret_versions WHERE workspace_id = ? AND name = ? AND version = ?
                """)
            return try rows.map { row in
                let workspace = try row.checked(0, "secret_versions.workspace_id", as: String.self)
                let name = try row.checked(1, "secret_versions.name", as: String.self)
                let version = try SQLiteCoding.version(row.checked(2, "secret_versions.version"))
                try delete.execute(arguments: [workspace, name, Int64(version)])
                return PurgedSecretVersion(
                    workspace: workspace, name: name, version: version,
                    deletedAt: SQLiteCoding.date(micros: try row.checked(3, "secret_versions.deleted_at")))
            }
        }
        if !purged.isEmpty {
            logger.info("deleted secret versions purged", metadata: ["count": "\(purged.count)"])
        }
        return purged
    }

    // MARK: Batch writes

    /// See ``LifecycleSecretStore/putSecretVersions(_:seal:)``: every request runs the same
    /// put body as ``putSecretVersion(_:seal:)``, all in one write transaction.
    public func putSecretVersions(
        _ requests: [PutSecretRequest], seal: @Sendable (_ index: Int, _ version: UInt32) throws -> [UInt8]
    ) async throws -> [SecretVersionInfo] {
        guard !requests.isEmpty else { return [] }
        let labels = try requests.map { try SQLiteCoding.labelsJSON($0.metadata.labels) }
        let infos = try write { db -> [SecretVersionInfo] in
            var checked: Set<String> = []
            var infos: [SecretVersionInfo] = []
            infos.reserveCapacity(requests.count)
            for (index, request) in requests.enumerated() {
                if checked.insert(request.workspace).inserted {
                    try Self.refuseInactiveWorkspace(db, request.workspace)
                }
                infos.append(try Self.insertVersion(db, request, labels: labels[index]) { version in try seal(index, version) })
            }
            return infos
        }
        logger.debug("secret versions written", metadata: ["count": "\(infos.count)"])
        return infos
    }
}

extension SQLiteStore: InlineAuditingStore {}
