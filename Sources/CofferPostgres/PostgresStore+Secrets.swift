public import Coffer
import CofferCrypto
public import Foundation
import NIOCore
import PostgresNIO

/// The ``SecretStore`` methods. Workspace-scoped ones run as the application role with the
/// workspace bound; creating and listing workspaces are maintenance jobs.
extension PostgresStore {
    // MARK: Workspaces

    static let workspaceColumns =
        "id, created_at, primary_dek_version, min_dek_version, max_dek_age_seconds, max_dek_encryptions, key_generation, deleted_at, shredded_at"

    /// Decodes ``workspaceColumns``. A policy with neither limit is stored as no override.
    static func workspaceRecord(_ row: PostgresRow) throws -> WorkspaceRecord {
        let (id, created, primary, minimum, age, encryptions, generation, deleted, shredded) =
            try row.decode((String, Int64, Int64, Int64, Double?, Int64?, String?, Int64?, Int64?).self)
        var policy: RotationPolicy?
        if age != nil || encryptions != nil {
            policy = try PostgresCoding.storedPolicy(
                RotationPolicy(
                    maxDataKeyAgeSeconds: age,
                    maxEncryptionsPerDataKey: try encryptions.map { try PostgresCoding.count($0, what: "encryption limit of workspace '\(id)'") }),
                workspace: id)
        }
        return WorkspaceRecord(
            id: id, createdAt: PostgresCoding.date(micros: created),
            primaryDataKeyVersion: try PostgresCoding.version(primary),
            minimumDecryptionVersion: try PostgresCoding.version(minimum), rotationPolicy: policy,
            keyGeneration: generation, deletedAt: deleted.map(PostgresCoding.date(micros:)),
            shreddedAt: shredded.map(PostgresCoding.date(micros:)))
    }

    /// Throws when a workspace row's state forbids writing its secrets (shredded first: a
    /// shredded workspace is deleted too).
    static func requireLive(_ id: String, deletedAt: Int64?, shreddedAt: Int64?) throws {
        if shreddedAt != nil { throw VaultError.workspaceShredded(id) }
        if deletedAt != nil { throw VaultError.workspaceDeleted(id) }
    }

    /// The data-key columns, read through ``dataKeySource`` so that ``DataKeyRecord/keyGeneration``
    /// comes from the workspace row as it is now (never stored with the key).
    static let dataKeyColumns = "d.workspace_id, d.version, d.kek_id, d.wrapped, d.created_at, d.encryption_count, w.key_generation"

    /// `FROM` clause for ``dataKeyColumns``: data keys (alias `d`) joined with their workspace (`w`).
    var dataKeySource: String { "\(tables.dataKeys) AS d JOIN \(tables.workspaces) AS w ON w.id = d.workspace_id" }

    /// Decodes ``dataKeyColumns``.
    static func dataKeyRecord(_ row: PostgresRow) throws -> DataKeyRecord {
        let (workspace, version, kekText, wrapped, created, count, generation) =
            try row.decode((String, Int64, String, ByteBuffer, Int64, Int64, String?).self)
        guard let kekID = try? KEKIdentifier(parsing: kekText) else {
            throw VaultError.storeCorrupted("data key of workspace '\(workspace)' has a malformed KEK id")
        }
        return DataKeyRecord(
            workspace: workspace, version: try PostgresCoding.version(version),
            wrapped: WrappedDataKey(kekID: kekID, ciphertext: PostgresCoding.bytes(wrapped)),
            createdAt: PostgresCoding.date(micros: created),
            encryptionCount: try PostgresCoding.count(count, what: "encryption count of a data key of workspace '\(workspace)'"),
            keyGeneration: generation)
    }

    func insertDataKey(_ connection: PostgresConnection, _ key: DataKeyRecord) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: tables.dataKeys) (workspace_id, version, kek_id, wrapped, created_at, encryption_count)
            VALUES (\(key.workspace), \(Int64(key.version)), \(key.wrapped.kekID.description),
                    \(PostgresCoding.bytes(key.wrapped.ciphertext)), \(PostgresCoding.micros(key.createdAt)),
                    \(Int64(clamping: key.encryptionCount)))
            """, logger: logger)
    }

    /// See ``SecretStore/createWorkspace(_:firstDataKey:)``. Maintenance role.
    public func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws {
        guard firstDataKey.workspace == workspace.id else {
            throw VaultError.invalidValue(
                "the first data key belongs to workspace '\(firstDataKey.workspace)', not '\(workspace.id)'")
        }
        let t = tables
        try await transaction(.maintenance, .workspace(workspace.id), operation: "creating a workspace") { connection in
            let inserted = try await connection.query("""
                INSERT INTO \(unescaped: t.workspaces)
                    (id, created_at, primary_dek_version, min_dek_version, last_dek_version, max_dek_age_seconds, max_dek_encryptions,
                     key_generation)
                VALUES (\(workspace.id), \(PostgresCoding.micros(workspace.createdAt)), \(Int64(workspace.primaryDataKeyVersion)),
                        \(Int64(max(1, workspace.minimumDecryptionVersion))),
                        \(Int64(max(workspace.primaryDataKeyVersion, firstDataKey.version))),
                        \(workspace.rotationPolicy?.maxDataKeyAgeSeconds),
                        \(workspace.rotationPolicy?.maxEncryptionsPerDataKey.map { Int64(clamping: $0) }),
                        \(workspace.keyGeneration))
                ON CONFLICT (id) DO NOTHING
                RETURNING 1
                """, logger: logger).collect()
            guard inserted.count == 1 else { throw VaultError.workspaceExists(workspace.id) }
            try await insertDataKey(connection, firstDataKey)
        }
        logger.info("workspace created", metadata: ["workspace": "\(workspace.id)"])
    }

    /// See ``SecretStore/workspace(_:)``. Application role.
    public func workspace(_ id: String) async throws -> WorkspaceRecord? {
        let t = tables
        return try await transaction(.application, .workspace(id), operation: "reading a workspace") { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.workspaceColumns) FROM \(unescaped: t.workspaces) WHERE id = \(id)", logger: logger
            ).collect().first.map(Self.workspaceRecord)
        }
    }

    /// See ``SecretStore/listWorkspaces()``. Maintenance role (fleet-wide).
    public func listWorkspaces() async throws -> [WorkspaceRecord] {
        let t = tables
        return try await transaction(.maintenance, .fleet, operation: "listing workspaces") { connection in
            try await connection.query(
                "SELECT \(unescaped: Self.workspaceColumns) FROM \(unescaped: t.workspaces) ORDER BY id", logger: logger
            ).collect().map(Self.workspaceRecord)
        }
    }

    /// See ``SecretStore/dataKeys(workspace:)``. Application role.
    public func dataKeys(workspace: String) async throws -> [DataKeyRecord] {
        let source = dataKeySource
        return try await transaction(.application, .workspace(workspace), operation: "reading data keys") { connection in
            try await connection.query("""
                SELECT \(unescaped: Self.dataKeyColumns) FROM \(unescaped: source)
                WHERE d.workspace_id = \(workspace) ORDER BY d.version
                """, logger: logger).collect().map(Self.dataKeyRecord)
        }
    }

    // MARK: Secrets

    /// See ``SecretStore/putSecretVersion(_:seal:)``. Application role, normally one statement
    /// and one round trip: `put_secret` (schema migration 5) binds the workspace, locks its row
    /// (shared: rotation, retirement and destruction wait) and the secret's row (writers of one
    /// name serialize), checks check-and-set, checks that the version sealed is the next
    /// number, counts the encryptions (``PutSecretRequest/encryptionsToCount``), prunes and
    /// inserts, in its own implicit transaction. The value is sealed before the statement, with
    /// the version this store expects (``PostgresVersionGuesses``); when the server answers
    /// another number (a concurrent writer of the same name), it is sealed again with that one.
    /// A refused or re-numbered value was never stored and is not counted: the encryption
    /// count stays the exact number of values stored (docs/ARCHITECTURE.md, "Encryption
    /// leases", says why that is safe for the nonce bound). After
    /// ``Options/maxAttempts`` such answers the put runs as one transaction with `begin_put` /
    /// `finish_put` instead, which reserves the number before sealing. If the data key is missing
    /// or retired, the put throws ``VaultError/dataKeyNotFound(workspace:version:)``; at its
    /// limit, ``VaultError/dataKeyExhausted(workspace:version:)``; either way nothing is written.
    public func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8]
    ) async throws -> SecretVersionInfo {
        try await put(request, seal: seal, audit: nil).info
    }

    /// See ``InlineAuditingStore/putSecretVersion(_:seal:audit:)``: the put of
    /// ``putSecretVersion(_:seal:)``, as `put_secret_audited` (schema migration 6), still one
    /// statement. The record is chained after the head this instance last wrote
    /// (``PostgresAuditHeadCache``, like a one-statement audit append) before the statement,
    /// like the seal; the server writes it and moves the head in the put's transaction only if
    /// the head row is not locked by another writer (it never waits for it) and is still that
    /// head. Otherwise (or with no head remembered, with other puts of this instance in flight,
    /// whose records then share group commits, or when the put falls back to `begin_put`) the
    /// put is stored alone and answers ``InlineAuditedPut/audited`` false.
    public func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8],
        audit: @Sendable (_ info: SecretVersionInfo, _ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> InlineAuditedPut {
        try await withoutActuallyEscaping(audit) { audit in try await put(request, seal: seal, audit: audit) }
    }

    /// The put of both ``putSecretVersion(_:seal:)`` and
    /// ``putSecretVersion(_:seal:audit:)`` (`audit` nil: `put_secret`, never audited).
    private func put(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8],
        audit: (@Sendable (_ info: SecretVersionInfo, _ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead))?
    ) async throws -> InlineAuditedPut {
        let labels = try PostgresCoding.labelsJSON(request.metadata.labels)
        guard let counted = Int64(exactly: request.encryptionsToCount), counted < Int64.max / 2 else {
            throw VaultError.invalidValue("cannot count \(request.encryptionsToCount) encryptions at once")
        }
        let ws = request.workspace
        let name = request.name
        var version = versionGuesses.guess(workspace: ws, name: name, expected: request.expectedCurrentVersion)
        let alone = audit != nil && auditHeadCache.putStarted()
        defer { if audit != nil { auditHeadCache.putEnded() } }
        let attempts = max(1, options.maxAttempts)
        for attempt in 1...attempts {
            let ciphertext = try seal(version)
            let info = SecretVersionInfo(
                workspace: ws, name: name, version: version, dataKeyVersion: request.dataKeyVersion,
                metadata: request.metadata,
                createdAt: PostgresCoding.date(micros: PostgresCoding.micros(request.now)), deletedAt: nil)
            var link: AuditLink?
            if let audit, alone, let head = auditHeadCache.optimisticHead() {
                let (records, newHead) = try Self.checkedChain({ try audit(info, $0) }, after: head, count: 1)
                link = AuditLink(head: head, record: records[0], newHead: newHead)
            }
            let answer: PutAnswer
            do {
                answer = try await putStatement(request, version: version, ciphertext: ciphertext, count: counted, labels: labels, link: link)
            } catch let error where PostgresErrors.isRetryable(PostgresErrors.unwrap(error)) && attempt < attempts {
                // A concurrent first put of the same name, or a deadlock: nothing was written.
                try await Task.sleep(for: .milliseconds(UInt64.random(in: 1...(5 << min(attempt, 5)))))
                continue
            } catch {
                throw PostgresErrors.map(PostgresErrors.unwrap(error), endpoint: applicationEndpointForErrors, schema: schema)
            }
            if answer.status == "retry" {
                version = try PostgresCoding.version(answer.version ?? -1)
                continue
            }
            try Self.checkPutStatus(answer.status, request, current: answer.current)
            versionGuesses.saw(workspace: ws, name: name, version: version)
            switch (answer.audit, link) {
            case ("written", let link?): auditHeadCache.wrote(link.newHead)
            case ("stale", _): auditHeadCache.missed()
            case ("locked", _), (nil, _): break
            default:
                throw VaultError.storeCorrupted(
                    "the server answered an unknown audit status for a put of secret '\(name)' in workspace '\(ws)'; the version is stored")
            }
            return InlineAuditedPut(info: info, audited: answer.audit == "written")
        }
        // Lost the number race every time: reserve it first, then seal (two statements more).
        let info = try await transaction(.application, .workspace(ws), operation: "writing a secret") { connection in
            try await put(connection, request, labels: labels, seal: seal)
        }
        versionGuesses.saw(workspace: ws, name: name, version: info.version)
        return InlineAuditedPut(info: info, audited: false)
    }

    /// A put's audit record chained after `head`, and the head after it.
    private struct AuditLink {
        var head: AuditChainHead
        var record: AuditRecord
        var newHead: AuditChainHead
    }

    /// What `put_secret` or `put_secret_audited` answered: the status, the next number (for
    /// `retry`), the current version (for `conflict`) and, with a record, what became of it.
    private struct PutAnswer {
        var status: String
        var version: Int64?
        var current: Int64?
        var audit: String?
    }

    /// One `put_secret` statement, or `put_secret_audited` when there is a record to write.
    private func putStatement(
        _ request: PutSecretRequest, version: UInt32, ciphertext: [UInt8], count: Int64, labels: String, link: AuditLink?
    ) async throws -> PutAnswer {
        let limit = request.dataKeyEncryptionLimit.map { Int64(clamping: $0) }
        let t = tables
        let rows = try await rawStatement { connection in
            guard let link else {
                return try await connection.query("""
                    SELECT r_status, r_version, r_current, NULL::text FROM \(unescaped: t.putSecretFunction)(
                        \(request.workspace), \(request.name), \(request.expectedCurrentVersion.map(Int64.init)),
                        \(Int64(request.dataKeyVersion)), \(limit), \(count), \(Int64(version)), \(PostgresCoding.bytes(ciphertext)),
                        \(request.metadata.kind.rawValue), \(request.metadata.contentType), \(labels)::jsonb,
                        \(request.metadata.expiresAt.map(PostgresCoding.micros)), \(PostgresCoding.micros(request.now)),
                        \(Int64(max(1, request.maxVersions))))
                    """, logger: logger).collect()
            }
            let e = link.record.event
            return try await connection.query("""
                SELECT r_status, r_version, r_current, r_audit FROM \(unescaped: t.putSecretAuditedFunction)(
                    \(request.workspace), \(request.name), \(request.expectedCurrentVersion.map(Int64.init)),
                    \(Int64(request.dataKeyVersion)), \(limit), \(count), \(Int64(version)), \(PostgresCoding.bytes(ciphertext)),
                    \(request.metadata.kind.rawValue), \(request.metadata.contentType), \(labels)::jsonb,
                    \(request.metadata.expiresAt.map(PostgresCoding.micros)), \(PostgresCoding.micros(request.now)),
                    \(Int64(max(1, request.maxVersions))),
                    \(try PostgresCoding.sequenceValue(link.head.sequence)), \(PostgresCoding.bytes(link.head.mac)),
                    \(try PostgresCoding.sequenceValue(link.newHead.sequence)), \(PostgresCoding.bytes(link.newHead.mac)),
                    \(Int64(link.newHead.keyVersion)), \(PostgresCoding.bytes(link.newHead.seal)),
                    \(try PostgresCoding.sequenceValue(link.record.sequence)), \(PostgresCoding.micros(e.time)), \(e.actor),
                    \(e.action.rawValue), \(e.outcome.rawValue), \(e.workspace), \(e.name), \(e.version.map { Int64($0) }),
                    \(e.detail), \(Int64(link.record.keyVersion)), \(PostgresCoding.bytes(link.record.mac)))
                """, logger: logger).collect()
        }
        guard let row = rows.first else {
            throw VaultError.storeCorrupted("put_secret returned no row for secret '\(request.name)' in workspace '\(request.workspace)'")
        }
        let (status, next, current, audit) = try row.decode((String, Int64?, Int64?, String?).self)
        return PutAnswer(status: status, version: next, current: current, audit: audit)
    }

    /// Maps a put status other than `ok` (from `put_secret` or `begin_put`) to its error.
    static func checkPutStatus(_ status: String, _ request: PutSecretRequest, current: Int64?) throws {
        let ws = request.workspace
        let name = request.name
        switch status {
        case "ok": return
        case "workspace_not_found": throw VaultError.workspaceNotFound(ws)
        case "workspace_shredded": throw VaultError.workspaceShredded(ws)
        case "workspace_deleted": throw VaultError.workspaceDeleted(ws)
        case "conflict":
            throw VaultError.checkAndSetConflict(
                workspace: ws, name: name, expected: request.expectedCurrentVersion ?? 0, actual: try PostgresCoding.version(current ?? -1))
        case "versions_exhausted":
            throw VaultError.invalidValue("secret '\(name)' in workspace '\(ws)' has used every version number")
        case "dek_not_found": throw VaultError.dataKeyNotFound(workspace: ws, version: request.dataKeyVersion)
        case "dek_exhausted": throw VaultError.dataKeyExhausted(workspace: ws, version: request.dataKeyVersion)
        case "secret_vanished":
            throw VaultError.storeCorrupted("the row of secret '\(name)' in workspace '\(ws)' vanished inside its transaction")
        default:
            throw VaultError.storeCorrupted("the server answered an unknown put status for secret '\(name)' in workspace '\(ws)'")
        }
    }

    /// The body of a put inside the caller's transaction (workspace bound): see
    /// ``putSecretVersion(_:seal:)``. `labels` is the request's labels as JSON.
    func put(
        _ connection: PostgresConnection, _ request: PutSecretRequest, labels: String,
        seal: (_ version: UInt32) throws -> [UInt8]
    ) async throws -> SecretVersionInfo {
        let maxVersions = max(1, request.maxVersions)
        let ws = request.workspace
        let name = request.name
        let dek = Int64(request.dataKeyVersion)
        let limit = request.dataKeyEncryptionLimit.map { Int64(clamping: $0) }
        guard let encryptions = Int64(exactly: request.encryptionsToCount) else {
            throw VaultError.invalidValue("cannot count \(request.encryptionsToCount) encryptions at once")
        }
        let t = tables
        // One round trip (begin_put, schema migrations 3 and 4): bind the workspace, lock its row
        // (shared; a shred or a workspace delete waits for it) and check it is live, create
        // and lock the secret's row, read the current version in a statement of its own (at
        // READ COMMITTED a statement that waited for the lock keeps its old snapshot for
        // everything else, so two check-and-set writers could otherwise both win), check
        // check-and-set, count `encryptionsToCount` encryptions (a put refused at the limit
        // never calls seal; 0, a leased encryption, only checks the key is usable) and reserve
        // the version. All of it rolls back if anything below fails.
        let prepared = try await connection.query("""
            SELECT r_status, r_version, r_current FROM \(unescaped: t.beginPutFunction)(
                \(ws), \(name), \(request.expectedCurrentVersion.map(Int64.init)), \(dek), \(limit), \(encryptions))
            """, logger: logger).collect()
        guard let row = prepared.first else {
            throw VaultError.storeCorrupted("begin_put returned no row for secret '\(name)' in workspace '\(ws)'")
        }
        let (status, versionRaw, currentRaw) = try row.decode((String, Int64?, Int64?).self)
        try Self.checkPutStatus(status, request, current: currentRaw)
        // Range-checked before use: a stored number outside 1…UInt32.max is a damaged store.
        let version = try PostgresCoding.version(versionRaw ?? -1)
        let ciphertext = try seal(version)
        // One round trip (finish_put): keep the newest maxVersions - 1 existing versions (the
        // new one makes maxVersions), insert the new version, advance the secret's last_version
        // (its row is already locked by this transaction).
        try await connection.query("""
            SELECT \(unescaped: t.finishPutFunction)(
                \(ws), \(name), \(Int64(version)), \(dek), \(PostgresCoding.bytes(ciphertext)),
                \(request.metadata.kind.rawValue), \(request.metadata.contentType), \(labels)::jsonb,
                \(request.metadata.expiresAt.map(PostgresCoding.micros)), \(PostgresCoding.micros(request.now)), \(Int64(maxVersions)))
            """, logger: logger)
        return SecretVersionInfo(
            workspace: ws, name: name, version: version, dataKeyVersion: request.dataKeyVersion,
            metadata: request.metadata,
            createdAt: PostgresCoding.date(micros: PostgresCoding.micros(request.now)), deletedAt: nil)
    }

    /// See ``SecretStore/releaseEncryptions(workspace:dataKeyVersion:count:)``. Application role.
    public func releaseEncryptions(workspace: String, dataKeyVersion: UInt32, count: UInt64) async throws {
        guard count > 0 else { return }
        let t = tables
        try await transaction(.application, .workspace(workspace), operation: "returning leased encryptions") { connection in
            try await connection.query("""
                UPDATE \(unescaped: t.dataKeys) SET encryption_count = GREATEST(0, encryption_count - \(Int64(clamping: count)))
                WHERE workspace_id = \(workspace) AND version = \(Int64(dataKeyVersion))
                  AND version >= (SELECT min_dek_version FROM \(unescaped: t.workspaces) WHERE id = \(workspace))
                """, logger: logger)
        }
    }

    /// Adds `count` to the encryption count of a data key inside the caller's transaction, only
    /// if the key exists, is not retired (`version >= minimum`) and stays within `limit`.
    /// - Throws: ``VaultError/dataKeyNotFound(workspace:version:)``, ``VaultError/dataKeyExhausted(workspace:version:)``.
    func countEncryptions(
        _ connection: PostgresConnection, workspace ws: String, dataKeyVersion dek: Int64, count: Int64, minimum: Int64, limit: Int64?
    ) async throws {
        let t = tables
        let counted = try await connection.query("""
            UPDATE \(unescaped: t.dataKeys) SET encryption_count = encryption_count + \(count)
            WHERE workspace_id = \(ws) AND version = \(dek) AND version >= \(minimum)
              AND (\(limit)::bigint IS NULL OR encryption_count + \(count) <= \(limit)::bigint)
            RETURNING 1
            """, logger: logger).collect()
        if counted.count == 1 { return }
        let usable = try await connection.query("""
            SELECT 1 FROM \(unescaped: t.dataKeys) WHERE workspace_id = \(ws) AND version = \(dek) AND version >= \(minimum)
            """, logger: logger).collect()
        let version = try PostgresCoding.version(dek)
        if usable.isEmpty { throw VaultError.dataKeyNotFound(workspace: ws, version: version) }
        throw VaultError.dataKeyExhausted(workspace: ws, version: version)
    }

    static let infoColumns =
        "version, dek_version, kind, content_type, labels::text, expires_at, created_at, deleted_at"

    /// Decodes ``infoColumns`` starting at column 0 (and the ciphertext at column 8 if asked).
    static func info(_ row: PostgresRow, workspace: String, name: String) throws -> SecretVersionInfo {
        let cells = Array(row)
        guard cells.count >= 8 else { throw VaultError.storeCorrupted("secret version row has too few columns") }
        let version = try cells[0].decode(Int64.self)
        let dek = try cells[1].decode(Int64.self)
        let kind = try cells[2].decode(String.self)
        let contentType = try cells[3].decode(String?.self)
        let labels = try cells[4].decode(String.self)
        let expires = try cells[5].decode(Int64?.self)
        let created = try cells[6].decode(Int64.self)
        let deleted = try cells[7].decode(Int64?.self)
        return SecretVersionInfo(
            workspace: workspace, name: name,
            version: try PostgresCoding.version(version),
            dataKeyVersion: try PostgresCoding.version(dek),
            metadata: SecretMetadata(
                kind: try PostgresCoding.kind(kind), contentType: contentType,
                labels: try PostgresCoding.labels(json: labels), expiresAt: expires.map(PostgresCoding.date(micros:))),
            createdAt: PostgresCoding.date(micros: created),
            deletedAt: deleted.map(PostgresCoding.date(micros:)))
    }

    static func storedVersion(_ row: PostgresRow, workspace: String, name: String) throws -> StoredSecretVersion {
        let cells = Array(row)
        guard cells.count >= 9 else { throw VaultError.storeCorrupted("secret version row has too few columns") }
        return StoredSecretVersion(
            info: try info(row, workspace: workspace, name: name),
            ciphertext: PostgresCoding.bytes(try cells[8].decode(ByteBuffer.self)))
    }

    /// See ``SecretStore/secretVersion(workspace:name:version:)``. Application role, one
    /// statement: `read_secret_version` binds the workspace for that statement alone and reads
    /// under row-level security (schema migration 3), so a get costs one round trip.
    public func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion? {
        let function = tables.readSecretVersionFunction
        let rows = try await statement(operation: "reading a secret") { connection in
            try await connection.query(
                "SELECT * FROM \(unescaped: function)(\(workspace), \(name), \(version.map(Int64.init)))", logger: logger
            ).collect()
        }
        return try rows.first.map { try Self.storedVersion($0, workspace: workspace, name: name) }
    }

    /// See ``SecretStore/listSecrets(workspace:)``. Application role.
    public func listSecrets(workspace: String) async throws -> [SecretSummary] {
        let t = tables
        return try await transaction(.application, .workspace(workspace), operation: "listing secrets") { connection in
            let rows = try await connection.query("""
                SELECT agg.name, cur.version, agg.n, agg.live,
                       cur.kind, cur.content_type, cur.labels::text, cur.expires_at, cur.created_at, first.created_at
                FROM (SELECT name, MAX(version) AS maxv, MIN(version) AS minv, COUNT(*) AS n,
                             COUNT(*) - COUNT(deleted_at) AS live
                      FROM \(unescaped: t.versions) WHERE workspace_id = \(workspace)
                        AND EXISTS (SELECT 1 FROM \(unescaped: t.workspaces) AS lw
                                    WHERE lw.id = \(workspace) AND lw.deleted_at IS NULL AND lw.shredded_at IS NULL)
                      GROUP BY name) AS agg
                JOIN \(unescaped: t.versions) AS cur
                  ON cur.workspace_id = \(workspace) AND cur.name = agg.name AND cur.version = agg.maxv
                JOIN \(unescaped: t.versions) AS first
                  ON first.workspace_id = \(workspace) AND first.name = agg.name AND first.version = agg.minv
                ORDER BY agg.name
                """, logger: logger).collect()
            return try rows.map { row in
                let (name, version, n, live, kind, contentType, labels, expires, updated, created) =
                    try row.decode((String, Int64, Int64, Int64, String, String?, String, Int64?, Int64, Int64).self)
                return SecretSummary(
                    name: name, currentVersion: try PostgresCoding.version(version),
                    versionCount: Int(n), liveVersionCount: Int(live),
                    metadata: SecretMetadata(
                        kind: try PostgresCoding.kind(kind), contentType: contentType,
                        labels: try PostgresCoding.labels(json: labels), expiresAt: expires.map(PostgresCoding.date(micros:))),
                    createdAt: PostgresCoding.date(micros: created),
                    updatedAt: PostgresCoding.date(micros: updated))
            }
        }
    }

    /// See ``SecretStore/history(workspace:name:)``. Application role.
    public func history(workspace: String, name: String) async throws -> [SecretVersionInfo] {
        let t = tables
        return try await transaction(.application, .workspace(workspace), operation: "reading history") { connection in
            try await connection.query("""
                SELECT \(unescaped: Self.infoColumns) FROM \(unescaped: t.versions)
                WHERE workspace_id = \(workspace) AND name = \(name)
                  AND EXISTS (SELECT 1 FROM \(unescaped: t.workspaces) AS lw
                              WHERE lw.id = \(workspace) AND lw.deleted_at IS NULL AND lw.shredded_at IS NULL)
                ORDER BY version
                """, logger: logger).collect().map { try Self.info($0, workspace: workspace, name: name) }
        }
    }

    /// See ``SecretStore/setDeleted(workspace:name:versions:deletedAt:)``. Application role;
    /// holds the secret's row lock, like a put.
    public func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32] {
        let t = tables
        return try await transaction(.application, .workspace(workspace), operation: "deleting or restoring versions") { connection in
            // The workspace row first (shared, like a put): a deleted or shredded workspace's
            // versions cannot change, and a workspace delete or shred waits for this.
            let workspaceRows = try await connection.query("""
                SELECT deleted_at, shredded_at FROM \(unescaped: t.workspaces) WHERE id = \(workspace) FOR SHARE
                """, logger: logger).collect()
            if let row = workspaceRows.first {
                let (deletedAt, shreddedAt) = try row.decode((Int64?, Int64?).self)
                try Self.requireLive(workspace, deletedAt: deletedAt, shreddedAt: shreddedAt)
            }
            try await connection.query("""
                SELECT 1 FROM \(unescaped: t.secrets) WHERE workspace_id = \(workspace) AND name = \(name) FOR UPDATE
                """, logger: logger)
            var deleted: [UInt32: Bool] = [:]
            for row in try await connection.query("""
                SELECT version, deleted_at IS NOT NULL FROM \(unescaped: t.versions)
                WHERE workspace_id = \(workspace) AND name = \(name) ORDER BY version
                """, logger: logger).collect() {
                let (version, isDeleted) = try row.decode((Int64, Bool).self)
                deleted[try PostgresCoding.version(version)] = isDeleted
            }
            guard !deleted.isEmpty else { throw VaultError.secretNotFound(workspace: workspace, name: name) }
            let targets = versions.map { Array(Set($0)).sorted() } ?? deleted.keys.sorted()
            for v in targets where deleted[v] == nil {
                throw VaultError.versionNotFound(workspace: workspace, name: name, version: v)
            }
            let wantDeleted = deletedAt != nil
            let changed = targets.filter { deleted[$0] != wantDeleted }
            if !changed.isEmpty {
                try await connection.query("""
                    UPDATE \(unescaped: t.versions) SET deleted_at = \(deletedAt.map(PostgresCoding.micros))
                    WHERE workspace_id = \(workspace) AND name = \(name) AND version = ANY(\(changed.map { Int64($0) }))
                    """, logger: logger)
            }
            return changed
        }
    }
}
