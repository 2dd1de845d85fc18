public import Coffer
public import CofferCrypto
import NIOCore
import PostgresNIO

/// The ``RotatingSecretStore`` methods. ``rotateDataKey(_:expectedPrimary:)`` and
/// ``dataKeyUsage(workspace:)`` run as the application role (the vault rotates before a write;
/// usage is a read of one workspace); everything else is a maintenance job.
extension PostgresStore {
    /// See ``RotatingSecretStore/rotateDataKey(_:expectedPrimary:)``. Application role; the
    /// workspace row's exclusive lock makes two racing rotations (in any instances) exact: the
    /// second waits, then sees the new primary and returns false. The new key starts with an
    /// encryption count of 0 whatever `record` says.
    public func rotateDataKey(_ record: DataKeyRecord, expectedPrimary: UInt32) async throws -> Bool {
        let ws = record.workspace
        let t = tables
        let rotated = try await transaction(.application, .workspace(ws), operation: "rotating a data key") { connection in
            let rows = try await connection.query("""
                SELECT primary_dek_version, last_dek_version, deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(ws) FOR UPDATE
                """, logger: logger).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(ws) }
            let (primary, last, deletedAt, shreddedAt) = try row.decode((Int64, Int64, Int64?, Int64?).self)
            try Self.requireLive(ws, deletedAt: deletedAt, shreddedAt: shreddedAt)
            guard primary == Int64(expectedPrimary), Int64(record.version) == last + 1 else { return false }
            var fresh = record
            fresh.encryptionCount = 0
            try await insertDataKey(connection, fresh)
            try await connection.query("""
                UPDATE \(unescaped: t.workspaces) SET primary_dek_version = \(Int64(record.version)), last_dek_version = \(Int64(record.version))
                WHERE id = \(ws)
                """, logger: logger)
            return true
        }
        if rotated {
            logger.info("data key rotated", metadata: ["workspace": "\(ws)", "version": "\(record.version)"])
        }
        return rotated
    }

    /// See ``RotatingSecretStore/dataKeys(notWrappedBy:limit:)``. Maintenance role (fleet-wide).
    public func dataKeys(notWrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        try await dataKeys(kekID, wrappedBy: false, limit: limit)
    }

    /// See ``RotatingSecretStore/dataKeys(wrappedBy:limit:)``. Maintenance role (fleet-wide).
    public func dataKeys(wrappedBy kekID: KEKIdentifier, limit: Int) async throws -> [DataKeyRecord] {
        try await dataKeys(kekID, wrappedBy: true, limit: limit)
    }

    /// Up to `limit` data keys whose KEK is (`wrappedBy`) or is not `kekID`, by (workspace, version).
    private func dataKeys(_ kekID: KEKIdentifier, wrappedBy: Bool, limit: Int) async throws -> [DataKeyRecord] {
        guard limit > 0 else { return [] }
        let source = dataKeySource
        let comparison = wrappedBy ? "=" : "<>"
        return try await transaction(.maintenance, .fleet, operation: "listing data keys by KEK") { connection in
            try await connection.query("""
                SELECT \(unescaped: Self.dataKeyColumns) FROM \(unescaped: source)
                WHERE d.kek_id \(unescaped: comparison) \(kekID.description) ORDER BY d.workspace_id, d.version LIMIT \(Int64(limit))
                """, logger: logger).collect().map(Self.dataKeyRecord)
        }
    }

    /// See ``RotatingSecretStore/rewrapDataKeys(_:)``. Maintenance role (fleet-wide); rows are
    /// updated in (workspace, version) order so concurrent rewrappers never deadlock.
    public func rewrapDataKeys(_ rewraps: [DataKeyRewrap]) async throws -> Int {
        guard !rewraps.isEmpty else { return 0 }
        let ordered = rewraps.sorted {
            $0.workspace == $1.workspace ? $0.version < $1.version : $0.workspace.utf8.lexicographicallyPrecedes($1.workspace.utf8)
        }
        let t = tables
        return try await transaction(.maintenance, .fleet, operation: "rewrapping data keys") { connection in
            var applied = 0
            for rewrap in ordered {
                let rows = try await connection.query("""
                    UPDATE \(unescaped: t.dataKeys) SET kek_id = \(rewrap.wrapped.kekID.description),
                        wrapped = \(PostgresCoding.bytes(rewrap.wrapped.ciphertext))
                    WHERE workspace_id = \(rewrap.workspace) AND version = \(Int64(rewrap.version))
                      AND kek_id = \(rewrap.expectedKEKID.description)
                    RETURNING 1
                    """, logger: logger).collect()
                applied += rows.count
            }
            return applied
        }
    }

    /// See ``RotatingSecretStore/dataKeyCountByKEK()``. Maintenance role (fleet-wide).
    public func dataKeyCountByKEK() async throws -> [KEKIdentifier: Int] {
        let t = tables
        return try await transaction(.maintenance, .fleet, operation: "counting data keys by KEK") { connection in
            var counts: [KEKIdentifier: Int] = [:]
            for row in try await connection.query(
                "SELECT kek_id, COUNT(*) FROM \(unescaped: t.dataKeys) GROUP BY kek_id", logger: logger
            ).collect() {
                let (text, n) = try row.decode((String, Int64).self)
                guard let kekID = try? KEKIdentifier(parsing: text) else {
                    throw VaultError.storeCorrupted("a data key has a malformed KEK id")
                }
                counts[kekID, default: 0] += Int(n)
            }
            return counts
        }
    }

    /// See ``RotatingSecretStore/secretVersions(workspace:sealedUnder:after:limit:)``.
    /// Maintenance role (re-encryption), workspace bound.
    public func secretVersions(
        workspace: String, sealedUnder dataKeyVersions: Set<UInt32>, after cursor: SecretVersionCursor?, limit: Int
    ) async throws -> [StoredSecretVersion] {
        guard limit > 0, !dataKeyVersions.isEmpty else { return [] }
        let versions = dataKeyVersions.sorted().map { Int64($0) }
        let cursorName = cursor?.name
        let cursorVersion = cursor.map { Int64($0.version) }
        let t = tables
        return try await transaction(.maintenance, .workspace(workspace), operation: "reading versions to re-encrypt") { connection in
            try await connection.query("""
                SELECT \(unescaped: Self.infoColumns), ciphertext, name FROM \(unescaped: t.versions)
                WHERE workspace_id = \(workspace) AND dek_version = ANY(\(versions))
                  AND EXISTS (SELECT 1 FROM \(unescaped: t.workspaces) AS lw
                              WHERE lw.id = \(workspace) AND lw.deleted_at IS NULL AND lw.shredded_at IS NULL)
                  AND (\(cursorName)::text IS NULL
                       OR (name, version) > (\(cursorName)::text COLLATE "C", \(cursorVersion)::bigint))
                ORDER BY name, version LIMIT \(Int64(limit))
                """, logger: logger).collect().map { row in
                let name = try Array(row)[9].decode(String.self)
                return try Self.storedVersion(row, workspace: workspace, name: name)
            }
        }
    }

    /// See ``RotatingSecretStore/replaceCiphertexts(workspace:_:encryptionLimit:)``. Maintenance
    /// role (re-encryption), workspace bound. Locks the target data keys, then the versions (in
    /// (name, version) order): the same order a put uses.
    public func replaceCiphertexts(
        workspace: String, _ replacements: [CiphertextReplacement], encryptionLimit: UInt64?
    ) async throws -> Int {
        guard !replacements.isEmpty else { return 0 }
        let ordered = replacements.sorted {
            $0.name == $1.name ? $0.version < $1.version : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        let limit = encryptionLimit.map { Int64(clamping: $0) }
        let t = tables
        return try await transaction(.maintenance, .workspace(workspace), operation: "re-encrypting secret versions") { connection in
            let rows = try await connection.query(
                "SELECT min_dek_version, deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(workspace) FOR SHARE",
                logger: logger
            ).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(workspace) }
            let (minimum, deletedAt, shreddedAt) = try row.decode((Int64, Int64?, Int64?).self)
            try Self.requireLive(workspace, deletedAt: deletedAt, shreddedAt: shreddedAt)
            // Every target key must exist and not be retired, whether or not a row applies; its
            // row is locked first (data keys before versions, like a put).
            for version in Set(ordered.map(\.newDataKeyVersion)).sorted() {
                let key = try await connection.query("""
                    SELECT 1 FROM \(unescaped: t.dataKeys)
                    WHERE workspace_id = \(workspace) AND version = \(Int64(version)) AND version >= \(minimum)
                    FOR UPDATE
                    """, logger: logger).collect()
                if key.isEmpty { throw VaultError.dataKeyNotFound(workspace: workspace, version: version) }
            }
            var perKey: [UInt32: Int64] = [:]
            var applied = 0
            for r in ordered {
                let updated = try await connection.query("""
                    UPDATE \(unescaped: t.versions) SET ciphertext = \(PostgresCoding.bytes(r.ciphertext)),
                        dek_version = \(Int64(r.newDataKeyVersion))
                    WHERE workspace_id = \(workspace) AND name = \(r.name) AND version = \(Int64(r.version))
                      AND dek_version = \(Int64(r.expectedDataKeyVersion))
                    RETURNING 1
                    """, logger: logger).collect()
                if updated.count == 1 {
                    applied += 1
                    perKey[r.newDataKeyVersion, default: 0] += 1
                }
            }
            for (version, count) in perKey.sorted(by: { $0.key < $1.key }) {
                try await countEncryptions(
                    connection, workspace: workspace, dataKeyVersion: Int64(version), count: count, minimum: minimum, limit: limit)
            }
            return applied
        }
    }

    /// See ``RotatingSecretStore/dataKeyUsage(workspace:)``. Application role.
    public func dataKeyUsage(workspace: String) async throws -> [DataKeyUsage] {
        let t = tables
        return try await transaction(.application, .workspace(workspace), operation: "counting data-key usage") { connection in
            try await connection.query("""
                SELECT dek_version, COUNT(*) FILTER (WHERE deleted_at IS NULL), COUNT(*) FILTER (WHERE deleted_at IS NOT NULL)
                FROM \(unescaped: t.versions) WHERE workspace_id = \(workspace)
                GROUP BY dek_version ORDER BY dek_version
                """, logger: logger).collect().map { row in
                let (version, live, deleted) = try row.decode((Int64, Int64, Int64).self)
                return DataKeyUsage(
                    dataKeyVersion: try PostgresCoding.version(version), liveSecretVersions: Int(live), deletedSecretVersions: Int(deleted))
            }
        }
    }

    /// The kept secret versions sealed under data-key versions matching `condition`, per version.
    private func usage(
        _ connection: PostgresConnection, workspace: String, below: Int64?, equal: Int64?
    ) async throws -> (versions: [UInt32], count: Int) {
        let t = tables
        var versions: [UInt32] = []
        var count = 0
        for row in try await connection.query("""
            SELECT dek_version, COUNT(*) FROM \(unescaped: t.versions)
            WHERE workspace_id = \(workspace)
              AND (\(below)::bigint IS NULL OR dek_version < \(below)::bigint)
              AND (\(equal)::bigint IS NULL OR dek_version = \(equal)::bigint)
            GROUP BY dek_version ORDER BY dek_version
            """, logger: logger).collect() {
            let (version, n) = try row.decode((Int64, Int64).self)
            versions.append(try PostgresCoding.version(version))
            count += Int(n)
        }
        return (versions, count)
    }

    /// See ``RotatingSecretStore/setMinimumDecryptionVersion(workspace:_:)``. Maintenance role,
    /// workspace bound. The minimum only ever grows: a version at or below it changes nothing.
    public func setMinimumDecryptionVersion(workspace: String, _ version: UInt32) async throws {
        let t = tables
        try await transaction(.maintenance, .workspace(workspace), operation: "retiring data keys") { connection in
            let rows = try await connection.query(
                """
                SELECT primary_dek_version, min_dek_version, deleted_at, shredded_at FROM \(unescaped: t.workspaces)
                WHERE id = \(workspace) FOR UPDATE
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(workspace) }
            let (primary, minimum, deletedAt, shreddedAt) = try row.decode((Int64, Int64, Int64?, Int64?).self)
            try Self.requireLive(workspace, deletedAt: deletedAt, shreddedAt: shreddedAt)
            guard Int64(version) <= primary else { throw VaultError.dataKeyNotFound(workspace: workspace, version: version) }
            guard Int64(version) > minimum else { return }
            let inUse = try await usage(connection, workspace: workspace, below: Int64(version), equal: nil)
            if inUse.count > 0 {
                throw VaultError.dataKeyInUse(workspace: workspace, versions: inUse.versions, count: inUse.count)
            }
            try await connection.query("""
                UPDATE \(unescaped: t.workspaces) SET min_dek_version = GREATEST(min_dek_version, \(Int64(version))) WHERE id = \(workspace)
                """, logger: logger)
        }
        logger.info("data keys retired", metadata: ["workspace": "\(workspace)", "below": "\(version)"])
    }

    /// See ``RotatingSecretStore/destroyDataKey(workspace:version:)``. Maintenance role,
    /// workspace bound.
    public func destroyDataKey(workspace: String, version: UInt32) async throws {
        let t = tables
        try await transaction(.maintenance, .workspace(workspace), operation: "destroying a data key") { connection in
            let rows = try await connection.query(
                """
                SELECT primary_dek_version, deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(workspace) FOR UPDATE
                """, logger: logger
            ).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(workspace) }
            let (primary, deletedAt, shreddedAt) = try row.decode((Int64, Int64?, Int64?).self)
            try Self.requireLive(workspace, deletedAt: deletedAt, shreddedAt: shreddedAt)
            let exists = try await connection.query("""
                SELECT 1 FROM \(unescaped: t.dataKeys) WHERE workspace_id = \(workspace) AND version = \(Int64(version))
                """, logger: logger).collect()
            guard !exists.isEmpty else { throw VaultError.dataKeyNotFound(workspace: workspace, version: version) }
            let inUse = try await usage(connection, workspace: workspace, below: nil, equal: Int64(version))
            if inUse.count > 0 || Int64(version) == primary {
                throw VaultError.dataKeyInUse(workspace: workspace, versions: [version], count: inUse.count)
            }
            try await connection.query("""
                DELETE FROM \(unescaped: t.dataKeys) WHERE workspace_id = \(workspace) AND version = \(Int64(version))
                """, logger: logger)
        }
        logger.info("data key destroyed", metadata: ["workspace": "\(workspace)", "version": "\(version)"])
    }

    /// See ``RotatingSecretStore/setRotationPolicy(workspace:_:)``. Maintenance role, workspace
    /// bound. A policy with neither limit is stored as no override.
    public func setRotationPolicy(workspace: String, _ policy: RotationPolicy?) async throws {
        let age = policy?.maxDataKeyAgeSeconds
        let encryptions = policy?.maxEncryptionsPerDataKey.map { Int64(clamping: $0) }
        let t = tables
        try await transaction(.maintenance, .workspace(workspace), operation: "setting a rotation policy") { connection in
            // Applies only to a live workspace (UPDATE re-checks its condition on the newest row
            // version); when nothing applied, a second read says why.
            let updated = try await connection.query("""
                UPDATE \(unescaped: t.workspaces) SET max_dek_age_seconds = \(age), max_dek_encryptions = \(encryptions)
                WHERE id = \(workspace) AND deleted_at IS NULL AND shredded_at IS NULL RETURNING 1
                """, logger: logger).collect()
            if !updated.isEmpty { return }
            let rows = try await connection.query("""
                SELECT deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(workspace)
                """, logger: logger).collect()
            guard let row = rows.first else { throw VaultError.workspaceNotFound(workspace) }
            let (deletedAt, shreddedAt) = try row.decode((Int64?, Int64?).self)
            try Self.requireLive(workspace, deletedAt: deletedAt, shreddedAt: shreddedAt)
        }
    }
}
