public import Coffer
public import Foundation
public import Logging
import GRDB

/// The embedded ``SecretStore``: one SQLite file (WAL mode) accessed through a GRDB
/// `DatabasePool` — one writer connection and several concurrent readers. The hottest read,
/// ``secretVersion(workspace:name:version:)``, runs on up to ``Options/maximumReaderCount``
/// further read-only connections with prepared statements, used synchronously (see
/// BENCHMARKS.md); it falls back to the pool when they are all busy.
///
/// - Durability: `PRAGMA synchronous = NORMAL` by default (see ``Options/Synchronous``): a
///   crash never corrupts the database, but an OS crash or power loss may undo the last
///   commits. Choose `.full` to fsync every commit.
/// - Several processes may share one file: a busy timeout (``Options/busyTimeout``) waits for
///   the other process's lock and write transactions are `BEGIN IMMEDIATE`, so two writers never
///   deadlock while upgrading a read lock. A lock still held after the timeout is
///   ``VaultError/storeUnavailable(_:)``.
/// - The file and its `-wal`/`-shm` companions are created with mode 0600; an existing file that
///   other users can read is changed to 0600 with a warning in the log.
/// - Database work runs synchronously on the calling task's thread (no extra hop); a write
///   waiting for another process's lock therefore holds that thread for up to the busy timeout.
/// - The schema is versioned (``SQLiteSchema``); a database written by a newer Coffer is
///   refused with ``VaultError/storeCorrupted(_:)``.
/// - `PRAGMA secure_delete = ON` on every connection: deleted rows (old ciphertexts, destroyed
///   wrapped data keys) are overwritten with zeros, not left in free pages.
/// - WAL checkpoints run in the background on a connection of their own (``SQLiteCheckpointer``),
///   not inside the put that crosses the threshold; the writer checkpoints inline only when the
///   WAL has grown past a bound (8000 frames) while the background pass lagged.
/// - Never logs values; they are opaque sealed bytes anyway.
public final class SQLiteStore: SecretStore {
    /// Path of the database file.
    public let path: String
    /// Read-only connections for ``secretVersion(workspace:name:version:)`` (declared before
    /// `pool` so they close first and the pool's writer, closing last, can checkpoint the WAL).
    private let readers: SQLiteReaderSet
    private let pool: DatabasePool
    /// Background WAL checkpoints; nil when its connection could not be opened (the writer then
    /// keeps SQLite's automatic checkpoint). Closed in `deinit`, before the pool.
    private let checkpointer: SQLiteCheckpointer?
    let logger: Logger

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Throws: ``VaultError/storeUnavailable(_:)`` when the file cannot be created, opened or
    ///   locked; ``VaultError/storeCorrupted(_:)`` when it is not a Coffer database, is damaged,
    ///   or has a schema newer than this code; ``VaultError/invalidValue(_:)`` for options out
    ///   of range (a busy timeout outside 0...86400 seconds, a reader count outside 1...1000).
    public convenience init(path: String, logger: Logger, options: Options = Options()) throws {
        try self.init(path: path, logger: logger, options: options, checkpointTrigger: 1_000, inlineCheckpoint: 8_000)
    }

    /// ``init(path:logger:options:)`` with the WAL checkpoint thresholds of ``SQLiteCheckpointer``
    /// (frames): a background pass every `checkpointTrigger` frames, an inline checkpoint by the
    /// writer once the WAL holds `inlineCheckpoint` frames (for tests).
    @_spi(Testing)
    public init(path: String, logger: Logger, options: Options, checkpointTrigger: Int32, inlineCheckpoint: Int32) throws {
        guard options.busyTimeout >= 0 && options.busyTimeout <= 86_400 else {
            throw VaultError.invalidValue("the SQLite busy timeout must be between 0 and 86400 seconds")
        }
        guard (1...1_000).contains(options.maximumReaderCount) else {
            throw VaultError.invalidValue("the SQLite maximum reader count must be between 1 and 1000")
        }
        self.path = path
        self.logger = logger
        self.readers = SQLiteReaderSet(
            path: path, busyTimeout: options.busyTimeout, limit: max(1, options.maximumReaderCount))
        let create = options.create
        let created = try DatabaseFile.prepare(path: path, create: create, logger: logger)
        if let header = try DatabaseHeader.inspect(path: path) {
            if header.applicationID != 0 && header.applicationID != SQLiteSchema.applicationID {
                throw Self.foreignDatabase(path, applicationID: header.applicationID)
            }
            // Refuse a foreign or newer database before the pool (which may write) opens it.
            do {
                var readOnly = Configuration()
                readOnly.readonly = true
                readOnly.busyMode = .timeout(options.busyTimeout)
                let queue = try DatabaseQueue(path: path, configuration: readOnly)
                try queue.read { db in try Self.checkSchema(db, path: path, allowFresh: create) }
            } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_BUSY]
                .contains(error.resultCode.primaryResultCode) {
                // A read-only connection cannot always open a WAL database (no -shm yet, say);
                // the same checks run again on the pool below. Only a file whose header already
                // says it is ours, or one we may create, goes on to the pool.
                guard create || header.applicationID == SQLiteSchema.applicationID else {
                    throw VaultError.storeUnavailable(
                        "cannot check that \(path) is a Coffer database (SQLite: \(error.resultCode)); nothing was changed, try again")
                }
                logger.debug("read-only pre-check skipped", metadata: ["path": "\(path)", "reason": "\(error.resultCode)"])
            } catch {
                throw SQLiteErrors.map(error, path: path)
            }
        } else if !create && !created {
            throw VaultError.storeCorrupted(
                "\(path) is an empty file, not a Coffer database; nothing was changed (only coffer init creates a vault)")
        }
        // Known to be ours (or ours to create) from here on.
        DatabaseFile.tighten(path, logger: logger)

        var config = Configuration()
        config.label = "coffer.sqlite"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(options.busyTimeout)
        config.maximumReaderCount = max(1, options.maximumReaderCount)
        config.journalMode = .wal
        // Every connection overwrites deleted content (old ciphertexts, wrapped keys) with
        // zeros instead of leaving it in free pages, whatever the system SQLite's build default.
        config.prepareDatabase { db in try db.execute(sql: Self.secureDeleteOn) }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // After the pool's WAL set-up, which sets NORMAL on the (single, long-lived) writer.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(options.synchronous.rawValue)")
            }
            try Self.migrate(pool, path: path, allowFresh: create, logger: logger)
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
        for companion in [path + "-wal", path + "-shm"] {
            DatabaseFile.tighten(companion, logger: logger)
        }
        do {
            let checkpointer = try SQLiteCheckpointer(
                path: path, synchronous: options.synchronous,
                limits: .init(trigger: max(1, checkpointTrigger), inline: max(1, inlineCheckpoint)), logger: logger)
            try pool.writeWithoutTransaction { db in
                guard let writer = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE) }
                checkpointer.install(on: writer)
            }
            self.checkpointer = checkpointer
        } catch {
            // Not fatal: the writer keeps SQLite's automatic checkpoint, as before.
            logger.warning("background WAL checkpoints unavailable; checkpointing on commit", metadata: ["path": "\(path)"])
            self.checkpointer = nil
        }
    }

    deinit {
        // Before the pool closes: the writer gets its automatic checkpoint back and no longer
        // calls into the checkpointer, whose connection closes first so that the pool's writer,
        // closing last, runs the final checkpoint.
        if let checkpointer {
            try? pool.writeWithoutTransaction { db in checkpointer.uninstall(from: db.sqliteConnection) }
            checkpointer.close()
        }
    }

    /// Set on every connection: freed pages are zeroed (`SQLITE_SECURE_DELETE` at run time).
    static let secureDeleteOn = "PRAGMA secure_delete = ON"

    private static func foreignDatabase(_ path: String, applicationID: Int32) -> VaultError {
        .storeCorrupted(
            "\(path) is an SQLite database but not a Coffer store (application_id \(applicationID)); point Coffer at another file")
    }

    /// Throws when `db` belongs to another application or has migrations this code does not
    /// know, or is a fresh database (no Coffer table yet) and `allowFresh` is false.
    private static func checkSchema(_ db: Database, path: String, allowFresh: Bool) throws {
        let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let tables = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        let hasMigrations = tables.contains("grdb_migrations")
        let applied = hasMigrations
            ? try Row.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier").map {
                try $0.checked(0, "grdb_migrations.identifier", as: String.self)
            }
            : []
        // A fresh file has no table, or only grdb_migrations if a first migration failed.
        let fresh = tables.allSatisfy { $0 == "grdb_migrations" } && applied.isEmpty
        if appID != SQLiteSchema.applicationID && !(fresh && allowFresh) {
            if fresh {
                throw VaultError.storeCorrupted(
                    "\(path) is an SQLite database without Coffer tables, not a Coffer store; nothing was changed (only coffer init creates a vault)")
            }
            throw foreignDatabase(path, applicationID: appID)
        }
        let unknown = applied.filter { !SQLiteSchema.knownMigrations.contains($0) }
        if !unknown.isEmpty {
            throw VaultError.storeCorrupted(
                "\(path) was written by a newer version of Coffer (unknown schema migrations: \(unknown.joined(separator: ", "))); upgrade Coffer to open it")
        }
    }

    private static func migrate(_ pool: DatabasePool, path: String, allowFresh: Bool, logger: Logger) throws {
        let migrator = SQLiteSchema.migrator
        let complete = try pool.read { db in
            try checkSchema(db, path: path, allowFresh: allowFresh)
            return try db.tableExists("grdb_migrations") && migrator.hasCompletedMigrations(db)
        }
        if complete { return }
        do {
            try migrator.migrate(pool)
            logger.info("database schema migrated", metadata: ["path": "\(path)", "schema": "\(SQLiteSchema.knownMigrations.last ?? "")"])
        } catch {
            // Another process may have applied the same migration between our read and our
            // write; its tables then make ours fail. Accept if the schema is now complete.
            if try pool.read({ db in try migrator.hasCompletedMigrations(db) }) { return }
            if let dbError = error as? DatabaseError, dbError.resultCode.primaryResultCode == .SQLITE_ERROR {
                // A migration this file says is pending conflicts with tables it already has:
                // the migrations table was edited or damaged (SQLite's message is not shown).
                throw VaultError.storeCorrupted(
                    "\(path): its schema-migrations table (grdb_migrations) does not match its tables; the database is damaged: restore it from a backup")
            }
            throw error
        }
    }

    /// The value of `PRAGMA <name>` on the writer connection (for tests and diagnostics).
    @_spi(Testing)
    public func writerPragma(_ name: String) throws -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// Waits for the background checkpoints requested so far, then returns their counters (for
    /// tests): passes run, inline checkpoints by the writer, longest WAL seen after a commit and
    /// WAL length after the last commit (frames). Nil without a background checkpointer.
    @_spi(Testing)
    public func checkpointStatistics() -> (passes: Int, inlineCheckpoints: Int, maximumFrames: Int32, lastFrames: Int32)? {
        guard let checkpointer else { return nil }
        checkpointer.drain()
        let s = checkpointer.statistics
        return (s.passes, s.inlineCheckpoints, s.maximumFrames, s.lastFrames)
    }

    /// Creates (or brings) the database at `path` to schema migration `identifier` and no
    /// further, as an older Coffer would have left it (for migration tests).
    @_spi(Testing)
    public static func migrateForTesting(path: String, upTo identifier: String) throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(queue, upTo: identifier)
    }

    // MARK: - Plumbing

    /// Runs a read of a single SQL statement. A statement is atomic on its own (SQLite gives it
    /// an implicit read transaction on one WAL snapshot), so no explicit BEGIN/COMMIT is paid;
    /// every read method of this store issues exactly one statement.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.unsafeRead(body)
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// Runs several statements in one read transaction, so they all see one WAL snapshot
    /// (writers of every process keep committing meanwhile).
    func snapshotRead<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// ``write(_:)`` for the put: the same `BEGIN IMMEDIATE` … `COMMIT` (or `ROLLBACK` when
    /// `body` throws) on the pool's writer, with the two statements taken from the connection's
    /// statement cache and stepped through the C API (``SQLiteDirect``) instead of GRDB's
    /// transaction wrapper, which prepares them anew for every transaction.
    func writeDirect<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try SQLiteDirect.immediateTransaction(pool, body)
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
    }

    /// Copies the WAL into the database file and truncates it (`wal_checkpoint(TRUNCATE)`), so
    /// content deleted with `secure_delete` no longer survives in the `-wal` file. Best effort:
    /// returns false when readers or writers of other connections keep it from completing.
    @discardableResult
    func checkpointTruncatingWAL() -> Bool {
        checkpointer?.drain()  // a background pass holding the checkpoint lock would make it fail
        do {
            try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            return true
        } catch {
            return false
        }
    }

    // MARK: - Workspaces

    /// See ``SecretStore/createWorkspace(_:firstDataKey:)``.
    public func createWorkspace(_ workspace: WorkspaceRecord, firstDataKey: DataKeyRecord) async throws {
        guard firstDataKey.workspace == workspace.id else {
            throw VaultError.invalidValue(
                "the first data key belongs to workspace '\(firstDataKey.workspace)', not '\(workspace.id)'")
        }
        try write { db in
            try db.cachedStatement(sql: """
                INSERT INTO workspaces (id, created_at, primary_dek_version, \(Self.workspaceRotationColumns))
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """).execute(arguments: [
                    workspace.id, SQLiteCoding.micros(workspace.createdAt), Int64(workspace.primaryDataKeyVersion),
                ] + Self.workspaceRotationArguments(workspace, firstDataKey: firstDataKey))
            guard db.changesCount == 1 else { throw VaultError.workspaceExists(workspace.id) }
            try Self.insertDataKey(db, firstDataKey)
        }
        logger.info("workspace created", metadata: ["workspace": "\(workspace.id)"])
    }

    static func insertDataKey(_ db: Database, _ key: DataKeyRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO data_keys (workspace_id, version, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [
                key.workspace, Int64(key.version), key.wrapped.kekID.description,
                Data(key.wrapped.ciphertext), SQLiteCoding.micros(key.createdAt),
            ])
    }

    /// See ``SecretStore/workspace(_:)``.
    public func workspace(_ id: String) async throws -> WorkspaceRecord? {
        try read { db in
            let stmt = try db.cachedStatement(sql: "SELECT \(Self.workspaceColumns) FROM workspaces WHERE id = ?")
            return try Row.fetchOne(stmt, arguments: [id]).map(Self.workspaceRecord)
        }
    }

    /// See ``SecretStore/listWorkspaces()``.
    public func listWorkspaces() async throws -> [WorkspaceRecord] {
        try read { db in
            let stmt = try db.cachedStatement(sql: "SELECT \(Self.workspaceColumns) FROM workspaces ORDER BY id")
            return try Row.fetchAll(stmt).map(Self.workspaceRecord)
        }
    }

    /// See ``SecretStore/dataKeys(workspace:)``.
    public func dataKeys(workspace: String) async throws -> [DataKeyRecord] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT \(Self.dataKeyColumns) FROM \(Self.dataKeyTables) WHERE d.workspace_id = ? ORDER BY d.version
                """)
            return try Row.fetchAll(stmt, arguments: [workspace]).map(Self.dataKeyRecord)
        }
    }

    // MARK: - Secrets

    /// See ``SecretStore/putSecretVersion(_:seal:)``.
    /// - Throws: also ``VaultError/workspaceDeleted(_:)``, ``VaultError/workspaceShredded(_:)``.
    public func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8]
    ) async throws -> SecretVersionInfo {
        let labels = try SQLiteCoding.labelsJSON(request.metadata.labels)
        return try writeDirect { db in
            let usable = try Self.refuseInactiveWorkspace(db, request.workspace, dataKeyVersion: request.dataKeyVersion)
            return try Self.insertVersion(db, request, labels: labels, keyUsable: usable, seal: seal)
        }
    }

    /// See ``InlineAuditingStore/putSecretVersion(_:seal:audit:)``: the put and its audit record
    /// in one write transaction, always (the writer lock already serialises the chain).
    public func putSecretVersion(
        _ request: PutSecretRequest, seal: @Sendable (_ version: UInt32) throws -> [UInt8],
        audit: @Sendable (_ info: SecretVersionInfo, _ head: AuditChainHead) throws -> (records: [AuditRecord], head: AuditChainHead)
    ) async throws -> InlineAuditedPut {
        let labels = try SQLiteCoding.labelsJSON(request.metadata.labels)
        return try writeDirect { db in
            let usable = try Self.refuseInactiveWorkspace(db, request.workspace, dataKeyVersion: request.dataKeyVersion)
            let info = try Self.insertVersion(db, request, labels: labels, keyUsable: usable, seal: seal)
            _ = try Self.appendAudit(db, count: 1) { head in try audit(info, head) }
            return InlineAuditedPut(info: info, audited: true)
        }
    }

    /// The body of a put inside its write transaction (shared by ``putSecretVersion(_:seal:)``
    /// and ``putSecretVersions(_:seal:)``, after the workspace-state check): check-and-set and
    /// the new number, the encryption count, `seal`, the insert and the pruning. Any throw
    /// rolls the whole transaction back. `keyUsable`: whether the data key is usable, when the
    /// caller's workspace check already read it.
    static func insertVersion(
        _ db: Database, _ request: PutSecretRequest, labels: String, keyUsable: Bool? = nil, seal: (_ version: UInt32) throws -> [UInt8]
    ) throws -> SecretVersionInfo {
        let maxVersions = max(1, request.maxVersions)
        let ws = request.workspace
        let name = request.name
        let version: UInt32
        if let expected = request.expectedCurrentVersion {
            version = try Self.nextVersionChecked(db, workspace: ws, name: name, expected: expected)
        } else {
            version = try Self.nextVersion(db, workspace: ws, name: name)
        }
        try Self.countEncryption(db, request, keyUsable: keyUsable)
        let ciphertext = try seal(version)
        try SQLiteDirect.execute(db.cachedStatement(sql: """
            INSERT INTO secret_versions
                (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """), in: db, [
                .text(ws), .text(name), .integer(Int64(version)), .integer(Int64(request.dataKeyVersion)), .blob(ciphertext),
                .text(request.metadata.kind.rawValue), .text(request.metadata.contentType), .text(labels),
                .integer(SQLiteCoding.optionalMicros(request.metadata.expiresAt)), .integer(SQLiteCoding.micros(request.now)),
            ])
        // At most `version` versions can exist, so there is nothing to prune before that.
        if Int(version) > maxVersions {
            try db.cachedStatement(sql: """
                DELETE FROM secret_versions WHERE workspace_id = ?1 AND name = ?2 AND version <= (
                    SELECT version FROM secret_versions WHERE workspace_id = ?1 AND name = ?2
                    ORDER BY version DESC LIMIT 1 OFFSET ?3)
                """).execute(arguments: [ws, name, maxVersions])
        }
        return SecretVersionInfo(
            workspace: ws, name: name, version: version, dataKeyVersion: request.dataKeyVersion,
            metadata: request.metadata,
            createdAt: SQLiteCoding.date(micros: SQLiteCoding.micros(request.now)), deletedAt: nil)
    }

    /// Unconditional put: reads the secret's `last_version`, then advances it (or creates the
    /// row at 1), and returns the new number. A missing workspace fails the `secrets →
    /// workspaces` foreign key. Two plain statements, not an `INSERT … ON CONFLICT … RETURNING`
    /// upsert: same rows and pages, but the upsert with `RETURNING` cost about 20 µs more per
    /// put (BENCHMARKS.md, issue 14). Runs inside the put's write transaction (the writer lock
    /// is held from `BEGIN IMMEDIATE`, so nothing changes between the two), so a later failure
    /// (a throwing `seal`, a number out of range) rolls the change back.
    private static func nextVersion(_ db: Database, workspace ws: String, name: String) throws -> UInt32 {
        let read = try db.cachedStatement(sql: "SELECT last_version FROM secrets WHERE workspace_id = ?1 AND name = ?2")
        guard let stored = try SQLiteDirect.firstInteger(read, in: db, [.text(ws), .text(name)]) else {
            do {
                try SQLiteDirect.execute(
                    db.cachedStatement(sql: "INSERT INTO secrets (workspace_id, name, last_version) VALUES (?1, ?2, 1)"), in: db,
                    [.text(ws), .text(name)])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                throw VaultError.workspaceNotFound(ws)
            }
            return 1
        }
        guard let last = stored else { throw VaultError.storeCorrupted("secrets.last_version is NULL") }
        let (next, overflow) = last.addingReportingOverflow(1)
        guard !overflow, next <= Int64(UInt32.max) else {
            throw VaultError.invalidValue("secret '\(name)' in workspace '\(ws)' has used every version number")
        }
        let version = try SQLiteCoding.version(next)
        try SQLiteDirect.execute(
            db.cachedStatement(sql: "UPDATE secrets SET last_version = ?3 WHERE workspace_id = ?1 AND name = ?2"), in: db,
            [.text(ws), .text(name), .integer(next)])
        return version
    }

    /// Check-and-set put: checks the workspace and the current version, then records the new
    /// number. Same transaction as ``nextVersion(_:workspace:name:)``.
    private static func nextVersionChecked(_ db: Database, workspace ws: String, name: String, expected: UInt32) throws -> UInt32 {
        let state = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM workspaces WHERE id = ?1),
                   (SELECT last_version FROM secrets WHERE workspace_id = ?1 AND name = ?2),
                   (SELECT MAX(version) FROM secret_versions WHERE workspace_id = ?1 AND name = ?2)
            """)
        guard let row = try Row.fetchOne(state, arguments: [ws, name]) else {
            throw VaultError.storeCorrupted("state query returned no row")
        }
        guard try row.checked(0, "workspaces.id", as: Bool.self) else { throw VaultError.workspaceNotFound(ws) }
        let last = try SQLiteCoding.version(row.checkedOptional(1, "secrets.last_version") ?? 0)
        let current = try SQLiteCoding.version(row.checkedOptional(2, "secret_versions.version") ?? 0)
        if expected != current {
            throw VaultError.checkAndSetConflict(workspace: ws, name: name, expected: expected, actual: current)
        }
        guard last < UInt32.max else {
            throw VaultError.invalidValue("secret '\(name)' in workspace '\(ws)' has used every version number")
        }
        let version = last + 1
        try db.cachedStatement(sql: """
            INSERT INTO secrets (workspace_id, name, last_version) VALUES (?1, ?2, ?3)
            ON CONFLICT (workspace_id, name) DO UPDATE SET last_version = excluded.last_version
            """).execute(arguments: [ws, name, Int64(version)])
        return version
    }

    static let infoColumns =
        "version, dek_version, kind, content_type, labels, expires_at, created_at, deleted_at"

    /// Decodes ``infoColumns`` starting at column 0.
    static func info(_ row: Row, workspace: String, name: String) throws -> SecretVersionInfo {
        SecretVersionInfo(
            workspace: workspace, name: name,
            version: try SQLiteCoding.version(row.checked(0, "secret_versions.version")),
            dataKeyVersion: try SQLiteCoding.version(row.checked(1, "secret_versions.dek_version")),
            metadata: SecretMetadata(
                kind: try SQLiteCoding.kind(row.checked(2, "secret_versions.kind")),
                contentType: try row.checkedOptional(3, "secret_versions.content_type"),
                labels: try SQLiteCoding.labels(json: row.checked(4, "secret_versions.labels")),
                expiresAt: try SQLiteCoding.optionalDate(row, 5, "secret_versions.expires_at")),
            createdAt: SQLiteCoding.date(micros: try row.checked(6, "secret_versions.created_at")),
            deletedAt: try SQLiteCoding.optionalDate(row, 7, "secret_versions.deleted_at"))
    }

    /// See ``SecretStore/secretVersion(workspace:name:version:)``.
    public func secretVersion(workspace: String, name: String, version: UInt32?) async throws -> StoredSecretVersion? {
        // Fast path: a dedicated read-only connection (see SQLiteReader); the pool when all are busy.
        let fast: StoredSecretVersion??
        do {
            fast = try readers.withReader { try $0.secretVersion(workspace: workspace, name: name, version: version) }
        } catch {
            throw SQLiteErrors.map(error, path: path)
        }
        if let fast { return fast }
        return try read { db in
            let row: Row?
            if let version {
                let stmt = try db.cachedStatement(sql: """
                    SELECT \(Self.infoColumns), ciphertext FROM secret_versions
                    WHERE workspace_id = ?1 AND name = ?2 AND version = ?3 AND \(Self.workspaceIsActive)
                    """)
                row = try Row.fetchOne(stmt, arguments: [workspace, name, Int64(version)])
            } else {
                let stmt = try db.cachedStatement(sql: """
                    SELECT \(Self.infoColumns), ciphertext FROM secret_versions
                    WHERE workspace_id = ?1 AND name = ?2 AND \(Self.workspaceIsActive) ORDER BY version DESC LIMIT 1
                    """)
                row = try Row.fetchOne(stmt, arguments: [workspace, name])
            }
            guard let row else { return nil }
            return StoredSecretVersion(
                info: try Self.info(row, workspace: workspace, name: name),
                ciphertext: try SQLiteCoding.bytes(row, 8))
        }
    }

    /// See ``SecretStore/listSecrets(workspace:)``.
    public func listSecrets(workspace: String) async throws -> [SecretSummary] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT agg.name, cur.version, agg.n, agg.live,
                       cur.kind, cur.content_type, cur.labels, cur.expires_at, cur.created_at, first.created_at
                FROM (SELECT name, MAX(version) AS maxv, MIN(version) AS minv, COUNT(*) AS n,
                             COUNT(*) - COUNT(deleted_at) AS live
                      FROM secret_versions WHERE workspace_id = ?1 AND \(Self.workspaceIsActive) GROUP BY name) AS agg
                JOIN secret_versions AS cur
                  ON cur.workspace_id = ?1 AND cur.name = agg.name AND cur.version = agg.maxv
                JOIN secret_versions AS first
                  ON first.workspace_id = ?1 AND first.name = agg.name AND first.version = agg.minv
                ORDER BY agg.name
                """)
            return try Row.fetchAll(stmt, arguments: [workspace]).map { row in
                SecretSummary(
                    name: try row.checked(0, "secret_versions.name"),
                    currentVersion: try SQLiteCoding.version(row.checked(1, "secret_versions.version")),
                    versionCount: try row.checked(2, "secret_versions.version"),
                    liveVersionCount: try row.checked(3, "secret_versions.deleted_at"),
                    metadata: SecretMetadata(
                        kind: try SQLiteCoding.kind(row.checked(4, "secret_versions.kind")),
                        contentType: try row.checkedOptional(5, "secret_versions.content_type"),
                        labels: try SQLiteCoding.labels(json: row.checked(6, "secret_versions.labels")),
                        expiresAt: try SQLiteCoding.optionalDate(row, 7, "secret_versions.expires_at")),
                    createdAt: SQLiteCoding.date(micros: try row.checked(9, "secret_versions.created_at")),
                    updatedAt: SQLiteCoding.date(micros: try row.checked(8, "secret_versions.created_at")))
            }
        }
    }

    /// See ``SecretStore/history(workspace:name:)``.
    public func history(workspace: String, name: String) async throws -> [SecretVersionInfo] {
        try read { db in
            let stmt = try db.cachedStatement(sql: """
                SELECT \(Self.infoColumns) FROM secret_versions
                WHERE workspace_id = ?1 AND name = ?2 AND \(Self.workspaceIsActive) ORDER BY version
                """)
            return try Row.fetchAll(stmt, arguments: [workspace, name]).map {
                try Self.info($0, workspace: workspace, name: name)
            }
        }
    }

    /// See ``SecretStore/setDeleted(workspace:name:versions:deletedAt:)``.
    /// - Throws: also ``VaultError/workspaceDeleted(_:)``, ``VaultError/workspaceShredded(_:)``.
    public func setDeleted(workspace: String, name: String, versions: [UInt32]?, deletedAt: Date?) async throws -> [UInt32] {
        try write { db in
            try Self.refuseInactiveWorkspace(db, workspace)
            let states = try db.cachedStatement(sql: """
                SELECT version, deleted_at IS NOT NULL FROM secret_versions WHERE workspace_id = ? AND name = ? ORDER BY version
                """)
            var deleted: [UInt32: Bool] = [:]
            for row in try Row.fetchAll(states, arguments: [workspace, name]) {
                deleted[try SQLiteCoding.version(row.checked(0, "secret_versions.version"))] = try row.checked(1, "secret_versions.deleted_at", as: Bool.self)
            }
            guard !deleted.isEmpty else { throw VaultError.secretNotFound(workspace: workspace, name: name) }
            let targets = versions.map { Array(Set($0)).sorted() } ?? deleted.keys.sorted()
            for v in targets where deleted[v] == nil {
                throw VaultError.versionNotFound(workspace: workspace, name: name, version: v)
            }
            let wantDeleted = deletedAt != nil
            let changed = targets.filter { deleted[$0] != wantDeleted }
            let update = try db.cachedStatement(sql: """
                UPDATE secret_versions SET deleted_at = ? WHERE workspace_id = ? AND name = ? AND version = ?
                """)
            let stamp = SQLiteCoding.optionalMicros(deletedAt)
            for v in changed {
                try update.execute(arguments: [stamp, workspace, name, Int64(v)])
            }
            return changed
        }
    }
}
