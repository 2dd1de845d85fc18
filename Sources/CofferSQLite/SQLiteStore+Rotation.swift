public import Coffer
public import CofferCrypto
import Foundation
import GRDB
import GRDBSQLite

/// Key rotation, re-encryption and retirement on SQLite (schema v2, see ``SQLiteSchemaV2``).
///
/// Every changing method is one `BEGIN IMMEDIATE` transaction whose conditions are checked
/// inside it, so concurrent jobs in several processes serialize on the writer lock and each row
/// is won by exactly one of them. Batch methods reuse cached statements and issue one UPDATE
/// per row; pages are keyset-paginated on an index, never loading a whole table.
extension SQLiteStore: RotatingSecretStore {
    /// At most this many data-key versions are merged index range by index range in
    /// ``secretVersions(workspace:sealedUnder:after:limit:)``; larger sets walk the primary key.
    static let maxMergedDataKeyVersions = 16

    /// See ``RotatingSecretStore/rotateDataKey(_:expectedPrimary:)``. The new key starts with an
    /// encryption count of 0 whatever `record` says. Returns false, changing nothing, when the
    /// primary is no longer `expectedPrimary` or `record.version` is not the next version.
    public func rotateDataKey(_ record: DataKeyRecord, expectedPrimary: UInt32) async throws -> Bool {
        let ws = record.workspace
        let rotated = try write { db -> Bool in
            try Self.refuseInactiveWorkspace(db, ws)
            let state = try db.cachedStatement(sql: "SELECT primary_dek_version, last_dek_version FROM workspaces WHERE id = ?")
            guard let row = try Row.fetchOne(state, arguments: [ws]) else { throw VaultError.workspaceNotFound(ws) }
            let primary = try SQLiteCoding.version(row.checked(0, "workspaces.primary_dek_version"))
            let last = try SQLiteCoding.version(row.checked(1, "workspaces.last_dek_version"))
            guard primary == expectedPrimary, last < UInt32.max, record.version == last + 1 else { return false }
            var fresh = record
            fresh.encryptionCount = 0
            try Self.insertDataKey(db, fresh)
            try db.cachedStatement(sql: """
                UPDATE workspaces SET primary_dek_version = ?2, last_dek_version = ?2 WHERE id = ?1
                """).execute(arguments: [ws, Int64(record.version)])
            return true
        }
        if rotated {
            logger.info("data key rotated", metadata: ["workspace": "\(ws)", "version": "\(record.version)"])
        }
        return rotated
    }

    /// See ``RotatingSecretStore/dataKeys(notWrappedBy:limit:)``.
    public func dataKeys(notWrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        try dataKeys(kekID, wrappedBy: false, limit: limit)
    }

    /// See ``RotatingSecretStore/dataKeys(wrappedBy:limit:)``.
    public func dataKeys(wrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        try dataKeys(kekID, wrappedBy: true, limit: limit)
    }

    /// Up to `limit` data keys whose KEK is (`wrappedBy`) or is not `kekID`, by (workspace, version).
    private func dataKeys(_ kekID: KEKIdentifier, wrappedBy: Bool, limit: Int) throws -> [DataKeyRecord] {
        guard limit > 0 else { return [] }
        return try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT \(Self.dataKeyColumns) FROM \(Self.dataKeyTables)
                WHERE d.kek_id \(wrappedBy ? "=" : "<>") ? ORDER BY d.workspace_id, d.version LIMIT ?
                """)
            return try Row.fetchAll(stmt, arguments: [kekID.description, limit]).map(Self.dataKeyRecord)
        }
    }

    /// See ``RotatingSecretStore/rewrapDataKeys(_:)``.
    public func rewrapDataKeys(_ rewraps: [DataKeyRewrap]) async throws -> Int {
        guard !rewraps.isEmpty else { return 0 }
        let applied = try write { db -> Int in
            let update = try db.cachedStatement(sql: """
                UPDATE data_keys SET kek_id = ?1, wrapped = ?2 WHERE workspace_id = ?3 AND version = ?4 AND kek_id = ?5
                """)
            var applied = 0
            for rewrap in rewraps {
                try update.execute(arguments: [
                    rewrap.wrapped.kekID.description, Data(rewrap.wrapped.ciphertext),
                    rewrap.workspace, Int64(rewrap.version), rewrap.expectedKEKID.description,
                ])
                applied += db.changesCount
            }
            return applied
        }
        logger.info("data keys rewrapped", metadata: ["applied": "\(applied)", "requested": "\(rewraps.count)"])
        return applied
    }

    /// See ``RotatingSecretStore/dataKeyCountByKEK()``.
    public func dataKeyCountByKEK() async throws -> [KEKIdentifier: Int] {
        try read { db in
            let stmt = try db.cachedStatement(sql: "SELECT kek_id, COUNT(*) FROM data_keys GROUP BY kek_id")
            var counts: [KEKIdentifier: Int] = [:]
            for row in try Row.fetchAll(stmt) {
                let text = try row.checked(0, "data_keys.kek_id", as: String.self)
                guard let id = try? KEKIdentifier(parsing: text) else {
                    throw VaultError.storeCorrupted("a data key has a malformed KEK id")
                }
                counts[id, default: 0] += try row.checked(1, "data_keys.kek_id", as: Int.self)
            }
            return counts
        }
    }

    /// See ``RotatingSecretStore/secretVersions(workspace:sealedUnder:after:limit:)``.
    ///
    /// One statement (one snapshot): each data-key version is a range of the index
    /// `secret_versions_dek(workspace_id, dek_version, name, version)` starting after the cursor,
    /// read at most `limit` rows deep; the ranges are merged in (name, version) order.
    public func secretVersions(
        workspace: String, sealedUnder dataKeyVersions: Set<UInt32>, after cursor: SecretVersionCursor?, limit: Int
    ) async throws -> [StoredSecretVersion] {
        guard limit > 0, !dataKeyVersions.isEmpty else { return [] }
        let versions = dataKeyVersions.sorted()
        let columns = "\(Self.infoColumns), ciphertext, name"
        let after = "workspace_id = ?1 AND (name, version) > (?2, ?3) AND \(Self.workspaceIsActive)"
        let sql: String
        if versions.count == 1 {
            sql = """
                SELECT \(columns) FROM secret_versions WHERE \(after) AND dek_version = ?5
                ORDER BY name, version LIMIT ?4
                """
        } else if versions.count <= Self.maxMergedDataKeyVersions {
            sql = (0..<versions.count).map { i in
                """
                SELECT * FROM (SELECT \(columns) FROM secret_versions WHERE \(after) AND dek_version = ?\(i + 5)
                ORDER BY name, version LIMIT ?4)
                """
            }.joined(separator: " UNION ALL ") + " ORDER BY name, version LIMIT ?4"
        } else {
            // Unary + keeps the planner on the primary key (already in (name, version) order).
            let list = (0..<versions.count).map { "?\($0 + 5)" }.joined(separator: ", ")
            sql = """
                SELECT \(columns) FROM secret_versions WHERE \(after) AND +dek_version IN (\(list))
                ORDER BY name, version LIMIT ?4
                """
        }
        var arguments: StatementArguments = [workspace, cursor?.name ?? "", Int64(cursor?.version ?? 0), limit]
        arguments += StatementArguments(versions.map { Int64($0) })
        return try read { db in
            let stmt = try db.cachedStatement(sql: sql)
            // GRDB binds; the rows are stepped and decoded with the C API (as the hot read
            // path does): no GRDB Row per row, no generic column decoding.
            try stmt.setArguments(arguments)
            let s = stmt.sqliteStatement
            defer { sqlite3_reset(s) }
            var page: [StoredSecretVersion] = []
            page.reserveCapacity(limit)
            while true {
                switch sqlite3_step(s) {
                case SQLITE_ROW:
                    guard let p = sqlite3_column_text(s, 9) else { throw VaultError.storeCorrupted("a secret version has no name") }
                    let name = String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, 9))), as: UTF8.self)
                    page.append(try SQLiteReader.decode(s, workspace: workspace, name: name))
                case SQLITE_DONE:
                    return page
                case let rc:
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
                }
            }
        }
    }

    /// See ``RotatingSecretStore/replaceCiphertexts(workspace:_:encryptionLimit:)``.
    ///
    /// Each new data-key version must exist and not be retired
    /// (``VaultError/dataKeyNotFound(workspace:version:)`` otherwise). The limit is checked
    /// against the exact number applied before the transaction commits; a refusal rolls the
    /// whole batch back, so nothing is written.
    public func replaceCiphertexts(
        workspace: String, _ replacements: [CiphertextReplacement], encryptionLimit: UInt64?
    ) async throws -> Int {
        guard !replacements.isEmpty else { return 0 }
        let newVersions = Set(replacements.map(\.newDataKeyVersion)).sorted()
        let limit = encryptionLimit.map { Int64(clamping: $0) }
        return try write { db -> Int in
            try Self.refuseInactiveWorkspace(db, workspace)
            let key = try db.cachedStatement(sql: """
                SELECT w.min_dek_version, d.encryption_count FROM workspaces AS w
                LEFT JOIN data_keys AS d ON d.workspace_id = w.id AND d.version = ?2
                WHERE w.id = ?1
                """)
            var counts: [UInt32: Int64] = [:]
            for version in newVersions {
                guard let row = try Row.fetchOne(key, arguments: [workspace, Int64(version)]) else {
                    throw VaultError.workspaceNotFound(workspace)
                }
                let minimum = try SQLiteCoding.version(row.checked(0, "workspaces.min_dek_version"))
                guard let count = try row.checkedOptional(1, "data_keys.encryption_count", as: Int64.self), version >= minimum else {
                    throw VaultError.dataKeyNotFound(workspace: workspace, version: version)
                }
                counts[version] = count
            }
            let update = try db.cachedStatement(sql: """
                UPDATE secret_versions SET ciphertext = ?1, dek_version = ?2
                WHERE workspace_id = ?3 AND name = ?4 AND version = ?5 AND dek_version = ?6
                """)
            var applied: [UInt32: Int64] = [:]
            var ws = workspace
            try ws.withUTF8 { w in
                for r in replacements where try Self.replaceRow(update, db: db, workspace: w, r) {
                    applied[r.newDataKeyVersion, default: 0] += 1
                }
            }
            if let limit {
                for version in newVersions {
                    let n = applied[version] ?? 0
                    if n > 0, counts[version, default: 0] > limit - n {
                        throw VaultError.dataKeyExhausted(workspace: workspace, version: version)
                    }
                }
            }
            let bump = try db.cachedStatement(sql: """
                UPDATE data_keys SET encryption_count = encryption_count + ?3 WHERE workspace_id = ?1 AND version = ?2
                """)
            var total = 0
            for (version, n) in applied {
                try bump.execute(arguments: [workspace, Int64(version), n])
                total += Int(n)
            }
            return total
        }
    }

    /// Runs `update` (the conditional UPDATE of ``replaceCiphertexts(workspace:_:encryptionLimit:)``)
    /// for one replacement through the SQLite C API, binding the ciphertext, workspace and name
    /// straight from their buffers (SQLITE_STATIC: they outlive the step, and the bindings are
    /// cleared before returning) instead of building GRDB arguments and a `Data` copy per row.
    /// Returns whether the row changed.
    private static func replaceRow(
        _ update: Statement, db: Database, workspace w: UnsafeBufferPointer<UInt8>, _ r: CiphertextReplacement
    ) throws -> Bool {
        let s = update.sqliteStatement
        var name = r.name
        return try name.withUTF8 { n in
            try r.ciphertext.withUnsafeBytes { c in
                sqlite3_reset(s)
                defer {
                    sqlite3_reset(s)
                    sqlite3_clear_bindings(s)
                }
                if c.isEmpty { sqlite3_bind_zeroblob(s, 1, 0) } else { sqlite3_bind_blob(s, 1, c.baseAddress, CInt(c.count), nil) }
                sqlite3_bind_int64(s, 2, Int64(r.newDataKeyVersion))
                sqlite3_bind_text(s, 3, cString(w), CInt(w.count), nil)
                sqlite3_bind_text(s, 4, cString(n), CInt(n.count), nil)
                sqlite3_bind_int64(s, 5, Int64(r.version))
                sqlite3_bind_int64(s, 6, Int64(r.expectedDataKeyVersion))
                let rc = sqlite3_step(s)
                guard rc == SQLITE_DONE else {
                    throw DatabaseError(
                        resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                        sql: update.sql)
                }
                return sqlite3_changes(db.sqliteConnection) > 0
            }
        }
    }

    /// A UTF-8 buffer as the `const char *` SQLite takes (with an explicit length).
    private static func cString(_ b: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar>? {
        b.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
    }

    /// See ``RotatingSecretStore/dataKeyUsage(workspace:)``.
    public func dataKeyUsage(workspace: String) async throws -> [DataKeyUsage] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT dek_version, COUNT(*) - COUNT(deleted_at), COUNT(deleted_at) FROM secret_versions
                WHERE workspace_id = ? GROUP BY dek_version ORDER BY dek_version
                """)
            return try Row.fetchAll(stmt, arguments: [workspace]).map { row in
                DataKeyUsage(
                    dataKeyVersion: try SQLiteCoding.version(row.checked(0, "secret_versions.dek_version")),
                    liveSecretVersions: try row.checked(1, "secret_versions.deleted_at"),
                    deletedSecretVersions: try row.checked(2, "secret_versions.deleted_at"))
            }
        }
    }

    /// See ``RotatingSecretStore/secretVersionCounts(workspace:)``. Reads only the
    /// `secret_versions_dek` index (``dataKeyUsage(workspace:)`` also needs `deleted_at`, so it
    /// visits every row: ~20x slower on 1,000,000 rows).
    public func secretVersionCounts(workspace: String) async throws -> [UInt32: Int] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT dek_version, COUNT(*) FROM secret_versions WHERE workspace_id = ? GROUP BY dek_version
                """)
            var counts: [UInt32: Int] = [:]
            for row in try Row.fetchAll(stmt, arguments: [workspace]) {
                counts[try SQLiteCoding.version(row.checked(0, "secret_versions.dek_version"))] = try row.checked(1, "secret_versions.dek_version", as: Int.self)
            }
            return counts
        }
    }

    /// Kept secret versions of `workspace` sealed under data-key versions below `below` (or
    /// equal to `equal`), per version, ascending (versions with none omitted). Reads only a
    /// range of the `secret_versions_dek` index.
    private static func usage(_ db: Database, workspace: String, below: UInt32? = nil, equal: UInt32? = nil) throws -> [(UInt32, Int)] {
        let stmt = try db.cachedStatement(sql: below != nil ? """
            SELECT dek_version, COUNT(*) FROM secret_versions WHERE workspace_id = ?1 AND dek_version < ?2
            GROUP BY dek_version ORDER BY dek_version
            """ : """
            SELECT dek_version, COUNT(*) FROM secret_versions WHERE workspace_id = ?1 AND dek_version = ?2
            GROUP BY dek_version
            """)
        return try Row.fetchAll(stmt, arguments: [workspace, Int64(below ?? equal ?? 0)]).map { row in
            (try SQLiteCoding.version(row.checked(0, "secret_versions.dek_version")), try row.checked(1, "secret_versions.dek_version", as: Int.self))
        }
    }

    /// See ``SecretStore/releaseEncryptions(workspace:dataKeyVersion:count:)``.
    public func releaseEncryptions(workspace: String, dataKeyVersion: UInt32, count: UInt64) async throws {
        guard count > 0 else { return }
        try write { db in
            try db.cachedStatement(sql: """
                UPDATE data_keys SET encryption_count = MAX(0, encryption_count - ?3)
                WHERE workspace_id = ?1 AND version = ?2
                  AND version >= (SELECT min_dek_version FROM workspaces WHERE id = ?1)
                """).execute(arguments: [workspace, Int64(dataKeyVersion), Int64(clamping: count)])
        }
    }

    /// See ``RotatingSecretStore/setMinimumDecryptionVersion(workspace:_:)``. The minimum only
    /// ever grows: a version at or below the current minimum changes nothing.
    /// - Throws: also ``VaultError/workspaceNotFound(_:)``.
    public func setMinimumDecryptionVersion(workspace: String, _ version: UInt32) async throws {
        let changed = try write { db -> Bool in
            try Self.refuseInactiveWorkspace(db, workspace)
            let state = try db.cachedStatement(sql: "SELECT primary_dek_version, min_dek_version FROM workspaces WHERE id = ?")
            guard let row = try Row.fetchOne(state, arguments: [workspace]) else {
                throw VaultError.workspaceNotFound(workspace)
            }
            let primary = try SQLiteCoding.version(row.checked(0, "workspaces.primary_dek_version"))
            let minimum = try SQLiteCoding.version(row.checked(1, "workspaces.min_dek_version"))
            guard version <= primary else { throw VaultError.dataKeyNotFound(workspace: workspace, version: version) }
            guard version > minimum else { return false }
            let inUse = try Self.usage(db, workspace: workspace, below: version)
            if !inUse.isEmpty {
                throw VaultError.dataKeyInUse(
                    workspace: workspace, versions: inUse.map(\.0), count: inUse.reduce(0) { $0 + $1.1 })
            }
            try db.cachedStatement(sql: "UPDATE workspaces SET min_dek_version = ?2 WHERE id = ?1")
                .execute(arguments: [workspace, Int64(version)])
            return true
        }
        if changed {
            logger.info("data keys retired", metadata: ["workspace": "\(workspace)", "minimumVersion": "\(version)"])
        }
    }

    /// See ``RotatingSecretStore/destroyDataKey(workspace:version:)``.
    /// - Throws: also ``VaultError/workspaceNotFound(_:)``.
    public func destroyDataKey(workspace: String, version: UInt32) async throws {
        try write { db in
            try Self.refuseInactiveWorkspace(db, workspace)
            let state = try db.cachedStatement(sql: """
                SELECT w.primary_dek_version, EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = ?1 AND version = ?2)
                FROM workspaces AS w WHERE w.id = ?1
                """)
            guard let row = try Row.fetchOne(state, arguments: [workspace, Int64(version)]) else {
                throw VaultError.workspaceNotFound(workspace)
            }
            guard try row.checked(1, "data_keys.version", as: Bool.self) else { throw VaultError.dataKeyNotFound(workspace: workspace, version: version) }
            let primary = try SQLiteCoding.version(row.checked(0, "workspaces.primary_dek_version"))
            let count = try Self.usage(db, workspace: workspace, equal: version).first?.1 ?? 0
            if count > 0 || version == primary {
                throw VaultError.dataKeyInUse(workspace: workspace, versions: [version], count: count)
            }
            try db.cachedStatement(sql: "DELETE FROM data_keys WHERE workspace_id = ? AND version = ?")
                .execute(arguments: [workspace, Int64(version)])
        }
        logger.info("data key destroyed", metadata: ["workspace": "\(workspace)", "version": "\(version)"])
    }

    /// See ``RotatingSecretStore/setRotationPolicy(workspace:_:)``. A policy with neither limit
    /// set is the same as nil and reads back as nil.
    /// - Throws: ``VaultError/workspaceNotFound(_:)``.
    public func setRotationPolicy(workspace: String, _ policy: RotationPolicy?) async throws {
        try write { db in
            try Self.refuseInactiveWorkspace(db, workspace)
            try db.cachedStatement(sql: """
                UPDATE workspaces SET max_dek_age_seconds = ?2, max_dek_encryptions = ?3 WHERE id = ?1
                """).execute(arguments: [
                    workspace, policy?.maxDataKeyAgeSeconds,
                    policy?.maxEncryptionsPerDataKey.map { Int64(clamping: $0) },
                ])
            guard db.changesCount == 1 else { throw VaultError.workspaceNotFound(workspace) }
        }
        logger.info("rotation policy set", metadata: ["workspace": "\(workspace)"])
    }
}
