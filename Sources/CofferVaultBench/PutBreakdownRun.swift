import CofferBenchSupport
import Coffer
import CofferCrypto
@_spi(Testing) import CofferSQLite
import Foundation
import GRDB
import Logging

/// `coffer-vault-bench --put-breakdown`: what each part of a SQLite put costs (issue 14).
///
/// Every variant runs on its own database file created by ``SQLiteStore`` (so the real schema,
/// migrations v1–v4) with one workspace made by `Vault.createWorkspace` (its workspace row and
/// data key 1), in one process, in alternating rounds. Variants 1–7 execute, through a GRDB
/// `DatabasePool` opened like the store's (WAL, synchronous NORMAL, foreign keys, secure
/// delete), one write transaction per put holding cumulative subsets of the statements
/// `SQLiteStore.putSecretVersion(_:seal:audit:)` runs for an unconditional put of a new name
/// (`refuseInactiveWorkspace`, `nextVersion`, `countEncryption`, the `secret_versions` insert,
/// `appendAudit`), copied verbatim from SQLiteStore.swift, SQLiteStore+RotationRows.swift,
/// SQLiteStore+Lifecycle.swift and SQLiteStore+Audit.swift at the time of writing, and run as
/// the store runs them: in a transaction begun and committed with cached statements and bound
/// and stepped through the C API (`SQLiteDirect`); the raw insert (variants 1 and 1') goes
/// through GRDB's `pool.write`; variant 8 is
/// `WorkspaceScope.put` itself. Variant 4 counts encryptions as a vault with encryption leases
/// does (default lease 64): the put that takes a lease adds 64 to `data_keys.encryption_count`,
/// the next 63 count nothing (`encryptionsToCount` 0; the key check is part of variant 2's workspace statement, as in the store). Side variant 4' is variant 3 plus
/// the per-put `+1` UPDATE of the code before leases, to show what leasing saves. Variants 2–7
/// and 4' checkpoint the WAL as the store does (``SQLiteCheckpointer`` on the pool's writer:
/// background passes, inline only past the bound); variant 1, the raw insert, keeps SQLite's
/// automatic checkpoint on commit like the default run's raw baseline, and side variant 1' is
/// the raw insert with the store's checkpointing, to show what that alone moves; side variant
/// 8' is the vault put on a store that checkpoints inline on commit every 1000 frames, as
/// SQLite's automatic checkpoint did before (the A/B of the background checkpointer). Separately, without a database: the two keyed BLAKE2b MACs of
/// the audit chain per put (record and head seal, messages of the real lengths) and the AES-GCM
/// seal of the token.
struct PutBreakdownRun: Sendable {
    var rounds: Int
    var ops: Int
    var directory: String?

    /// One cumulative variant: its label and which B-trees its statements touch.
    struct Variant {
        var label: String
        var touches: String
    }

    static let variants: [Variant] = [
        Variant(label: "1 raw insert of the blob", touches: "raw_versions (rowid table) + its PK index"),
        Variant(label: "2 + ws/key check + secrets bump, store txn", touches: "+ workspaces PK and data_keys PK (read, and FK check); secrets (WITHOUT ROWID, PK); BEGIN/COMMIT as the store runs them"),
        Variant(label: "3 version row instead of raw row", touches: "secret_versions (WITHOUT ROWID, PK) + secret_versions_dek; FK -> secrets"),
        Variant(label: "4 + leased count", touches: "+ data_keys (every 64th put: UPDATE +64; the others nothing: the key check is in 2)"),
        Variant(label: "5 + audit head read + record insert", touches: "+ audit_head (read); audit_log (rowid) + audit_log_workspace"),
        Variant(label: "6 + audit head update (all store SQL)", touches: "+ audit_head (1 row)"),
        Variant(label: "7 + chain MACs and seal in the txn", touches: "(no more SQL: 2 BLAKE2b MACs + AES-GCM seal)"),
        Variant(label: "8 vault put (WorkspaceScope.put)", touches: "all of the above + vault (validation, DEK cache, leases, metrics)"),
        Variant(label: "4' 3 + counter UPDATE +1 every put", touches: "data_keys (WITHOUT ROWID, PK) written per put: the code before leases"),
        Variant(label: "1' 1 with the store's checkpointing", touches: "raw_versions + its PK index; WAL checkpoints in the background"),
        Variant(label: "8' 8 checkpointing on commit", touches: "the vault put on a store checkpointing inline every 1000 frames (SQLite's automatic checkpoint, before issue 14)"),
    ]

    /// Index of the full vault put in ``variants``; the one after it is the pre-lease counter,
    /// measured as a side variant (compared with variant 3).
    static let vaultPut = 7
    static let perPutCounter = 8
    /// Index of side variant 1' (raw insert, checkpoints as the store does them).
    static let rawStoreCheckpoints = 9
    /// Index of side variant 8' (the vault put, checkpoints inline on commit as before).
    static let vaultInlineCheckpoints = 10

    /// Whether variant `v` is a vault put (8 or 8').
    static func isVault(_ v: Int) -> Bool { v == vaultPut || v == vaultInlineCheckpoints }

    /// The cumulative level (1–7) ``SQLVariants/put`` runs for variant index `v`.
    static func level(_ v: Int) -> Int { v == perPutCounter ? 3 : v == rawStoreCheckpoints ? 1 : v + 1 }

    /// A ``SQLiteCheckpointer`` with the store's defaults on `pool`'s writer.
    static func attachCheckpointer(path: String, pool: DatabasePool, logger: Logger) throws -> SQLiteCheckpointer {
        let checkpointer = try SQLiteCheckpointer(path: path, synchronous: .normal, limits: .init(), logger: logger)
        try pool.writeWithoutTransaction { db in
            guard let writer = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE) }
            checkpointer.install(on: writer)
        }
        return checkpointer
    }

    /// Undoes ``attachCheckpointer(path:pool:logger:)`` before the pool closes.
    static func detach(_ checkpointer: SQLiteCheckpointer, pool: DatabasePool) {
        try? pool.writeWithoutTransaction { db in checkpointer.uninstall(from: db.sqliteConnection) }
        checkpointer.close()
    }

    func run() async throws -> String {
        try await BenchDirectory.with(directory, prefix: "coffer-put-breakdown") { try await run(in: $0) }
    }

    private func run(in dir: String) async throws -> String {
        let logger = Logger(label: "coffer.put-breakdown") { _ in SwiftLogNoOpLogHandler() }
        let kek = try LocalKEK(SymmetricKey.generate())
        var vaults: [Vault] = []
        var pools: [DatabasePool] = []
        for v in Self.variants.indices {
            let path = "\(dir)/v\(v + 1).db"
            // 8': no background pass, the writer checkpoints inline from 1000 frames on.
            let store = v == Self.vaultInlineCheckpoints
                ? try SQLiteStore(path: path, logger: logger, options: .init(), checkpointTrigger: .max, inlineCheckpoint: 1_000)
                : try SQLiteStore(path: path, logger: logger)
            let vault = Vault(store: store, kek: kek, logger: logger)
            try await vault.createWorkspace("bench")
            vaults.append(vault)
            pools.append(try BenchPool.open(path: path, label: "bench.breakdown.\(v + 1)", secureDelete: true))
        }
        // Every variant but the raw insert checkpoints as the store does (see above).
        let checkpointed = pools.indices.filter { $0 != 0 && !Self.isVault($0) }
        let checkpointers = try checkpointed.map { v in
            try Self.attachCheckpointer(path: "\(dir)/v\(v + 1).db", pool: pools[v], logger: logger)
        }
        defer {
            for (i, v) in checkpointed.enumerated() { Self.detach(checkpointers[i], pool: pools[v]) }
        }
        // Variants 1, 2 and 1' insert the blob into a table shaped like RawBaseline's.
        for pool in [pools[0], pools[1], pools[Self.rawStoreCheckpoints]] {
            try await pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE raw_versions (
                        workspace_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, ciphertext BLOB NOT NULL,
                        PRIMARY KEY (workspace_id, name, version)
                    ) STRICT
                    """)
            }
        }
        let scope = try vaults[Self.vaultPut].workspace("bench", actor: "bench")
        let inlineScope = try vaults[Self.vaultInlineCheckpoints].workspace("bench", actor: "bench")
        let token = SecretBytes((0..<BenchRun.tokenBytes).map { _ in UInt8.random(in: 0...255) })
        let envelope = try EnvelopeKey(SymmetricKey.generate(), id: 1)
        let macKey = KeyedHash(key: SymmetricKey.generate())
        let blob = try envelope.seal(token, context: .secret(workspace: "bench", name: "bench/token", version: 1))
        let mac = [UInt8](repeating: 7, count: KeyedHash.byteCount)
        let sql = SQLVariants(workspace: "bench", blob: Data(blob), mac: Data(mac), envelope: envelope, macKey: macKey, token: token)

        // Sequence numbers continue after the records `createWorkspace` appended.
        var counts = [Int64](repeating: 0, count: Self.variants.count)
        for v in pools.indices {
            counts[v] = try await pools[v].read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM audit_log") ?? 0 }
        }
        // Warm-up (not recorded): statement caches, pages, the DEK cache.
        for i in 0..<200 {
            for v in Self.variants.indices where !Self.isVault(v) {
                counts[v] += 1
                try sql.put(variant: Self.level(v), pool: pools[v], name: "warmup/\(i)", count: counts[v], perPutCounter: v == Self.perPutCounter)
            }
            try await scope.put("warmup/\(i)", value: token)
            try await inlineScope.put("warmup/\(i)", value: token)
        }

        var samples = Self.variants.map { Samples(name: $0.label) }
        var macs = Samples(name: "audit chain: 2 keyed BLAKE2b MACs (record + head seal)")
        var seals = Samples(name: "AES-256-GCM seal of the 256-byte token (EnvelopeKey)")
        for round in 0..<rounds {
            let names = (0..<ops).map { "bench/r\(round)/token-\($0)" }
            var t = [Double](repeating: 0, count: Self.variants.count), c = t
            for k in 0..<Self.variants.count {
                let v = (k + round) % Self.variants.count
                let c0 = Samples.cpuNow()
                let t0 = Samples.now()
                if v == Self.vaultPut {
                    for n in names { try await scope.put(n, value: token) }
                } else if v == Self.vaultInlineCheckpoints {
                    for n in names { try await inlineScope.put(n, value: token) }
                } else {
                    for n in names {
                        counts[v] += 1
                        try sql.put(variant: Self.level(v), pool: pools[v], name: n, count: counts[v], perPutCounter: v == Self.perPutCounter)
                    }
                }
                t[v] = (Samples.now() - t0) / Double(ops)
                c[v] = (Samples.cpuNow() - c0) / Double(ops)
            }
            for v in samples.indices { samples[v].record(t[v], cpu: c[v]) }

            var sink = 0
            let (m0, mc0) = (Samples.now(), Samples.cpuNow())
            for n in names { sink &+= try sql.chainMACs(name: n, sequence: UInt64(round * ops + 1)) }
            let (m1, mc1) = (Samples.now(), Samples.cpuNow())
            for n in names { sink &+= try sql.seal(name: n, version: 1).count }
            let (m2, mc2) = (Samples.now(), Samples.cpuNow())
            precondition(sink != 42)
            macs.record((m1 - m0) / Double(ops), cpu: (mc1 - mc0) / Double(ops))
            seals.record((m2 - m1) / Double(ops), cpu: (mc2 - mc1) / Double(ops))
        }

        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: Swift.max(0, w - s.count)) }
        func lpad(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        var out = "coffer-vault-bench --put-breakdown: SQLite, real schema, 256-byte token (290-byte sealed blob), "
            + "one write transaction per put, \(rounds) rounds x \(ops) puts per variant (alternating)\n"
        out += pad("variant (cumulative)", 42) + lpad("us/put", 9) + lpad("delta", 9) + lpad("x raw", 8) + lpad("CPU us", 9) + "  B-trees written or read\n"
        out += String(repeating: "-", count: 150) + "\n"
        let raw = samples[0].median
        var previous = Double.nan
        for (v, s) in samples.enumerated() {
            if v == Self.perPutCounter { previous = samples[2].median }
            if v == Self.rawStoreCheckpoints { previous = samples[0].median }
            if v == Self.vaultInlineCheckpoints { previous = samples[Self.vaultPut].median }
            let delta = v == 0 ? "" : f((s.median - previous) / 1e3)
            out += pad(s.name, 42) + lpad(f(s.median / 1e3), 9) + lpad(delta, 9) + lpad(f(s.median / raw) + "x", 8)
                + lpad(f(Samples.median(s.cpu) / 1e3), 9) + "  " + Self.variants[v].touches + "\n"
            previous = s.median
        }
        out += "\nwithout a database (same rounds):\n"
        for s in [macs, seals] {
            out += pad(s.name, 56) + lpad(f(s.median / 1e3), 9) + " us/put" + lpad(f(Samples.median(s.cpu) / 1e3), 9) + " CPU us/put\n"
        }
        return out
    }
}

/// The store's statements for an unconditional put of a new name, in the cumulative subsets
/// ``PutBreakdownRun`` measures (copied from the store; see there).
struct SQLVariants: Sendable {
    var workspace: String
    var blob: Data
    var mac: Data
    var envelope: EnvelopeKey
    var macKey: KeyedHash
    var token: SecretBytes

    static let rawInsert = "INSERT INTO raw_versions (workspace_id, name, version, ciphertext) VALUES (?, ?, ?, ?)"
    /// `SQLiteStore.refuseInactiveWorkspace(_:_:dataKeyVersion:)`: the workspace's state and
    /// whether the data key is usable, in one statement.
    static let workspaceCheck = """
        SELECT deleted_at IS NOT NULL, shredded_at IS NOT NULL,
               ?2 >= min_dek_version AND EXISTS (SELECT 1 FROM data_keys WHERE workspace_id = ?1 AND version = ?2)
        FROM workspaces WHERE id = ?1
        """
    /// `SQLiteStore.nextVersion`: read the secret's last number, then insert the row at 1 or
    /// advance it.
    static let secretRead = "SELECT last_version FROM secrets WHERE workspace_id = ?1 AND name = ?2"
    static let secretInsert = "INSERT INTO secrets (workspace_id, name, last_version) VALUES (?1, ?2, 1)"
    static let secretAdvance = "UPDATE secrets SET last_version = ?3 WHERE workspace_id = ?1 AND name = ?2"

    /// The statements of `SQLiteStore.nextVersion` (without its range checks); returns the new number.
    static func bump(_ db: Database, workspace: String, name: String) throws -> Int64 {
        guard let stored = try SQLiteDirect.firstInteger(db.cachedStatement(sql: secretRead), in: db, [.text(workspace), .text(name)]),
              let last = stored
        else {
            try SQLiteDirect.execute(db.cachedStatement(sql: secretInsert), in: db, [.text(workspace), .text(name)])
            return 1
        }
        try SQLiteDirect.execute(db.cachedStatement(sql: secretAdvance), in: db, [.text(workspace), .text(name), .integer(last + 1)])
        return last + 1
    }
    /// `SQLiteStore.countEncryption`, a put that counts (`encryptionsToCount` ?4 > 0).
    static let counter = """
        UPDATE data_keys SET encryption_count = encryption_count + ?4
        WHERE workspace_id = ?1 AND version = ?2
          AND version >= (SELECT min_dek_version FROM workspaces WHERE id = ?1)
          AND (?3 IS NULL OR encryption_count <= ?3 - ?4)
        """
    /// `VaultConfiguration.encryptionLeaseSize` default.
    static let leaseSize: Int64 = 64
    /// `SQLiteStore.insertVersion`.
    static let versionInsert = """
        INSERT INTO secret_versions
            (workspace_id, name, version, dek_version, ciphertext, kind, content_type, labels, expires_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// `SQLiteStore.storedAuditHead`.
    static let headRead = "SELECT sequence, mac, key_version, seal FROM audit_head WHERE id = 1"
    /// `SQLiteStore.appendAudit`.
    static let recordInsert = """
        INSERT INTO audit_log
            (sequence, time, actor, action, outcome, workspace, name, version, detail, key_version, mac)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    /// `SQLiteStore.appendAudit` once the head row exists (every put here).
    static let headUpdate = "UPDATE audit_head SET sequence = ?1, mac = ?2, key_version = ?3, seal = ?4 WHERE id = 1"

    /// One put of `name` as variant `variant` (1–7 of ``PutBreakdownRun/variants``), in one
    /// write transaction. `count` numbers the variant's puts after the existing records: variant 5 reads the head
    /// but does not advance it, so its records take the sequence numbers from there.
    /// `perPutCounter`: count every put with `+1` (the code before leases) instead of leasing.
    func put(variant: Int, pool: DatabasePool, name: String, count: Int64, perPutCounter: Bool = false) throws {
        // Variant 1 is the raw GRDB insert (GRDB's transaction); the others run their
        // transaction as the store does.
        let transaction: ((Database) throws -> Void) throws -> Void = { body in
            if variant <= 1 { try pool.write(body) } else { try SQLiteDirect.immediateTransaction(pool, body) }
        }
        try transaction { db in
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            if variant >= 2 {
                let state = try SQLiteDirect.firstRow(db.cachedStatement(sql: Self.workspaceCheck), in: db, [.text(workspace), .integer(1)])
                guard let state, state.count == 3, case .integer(let usable) = state[2] else { preconditionFailure("workspace state") }
                precondition(usable == 1)
            }
            var version: Int64 = 1
            if variant >= 2 {
                version = try Self.bump(db, workspace: workspace, name: name)
            }
            let limit = Int64(RotationPolicy.defaultMaxEncryptionsPerDataKey)
            if perPutCounter {
                let changed = try SQLiteDirect.execute(
                    db.cachedStatement(sql: Self.counter), in: db, [.text(workspace), .integer(1), .integer(limit), .integer(1)])
                precondition(changed == 1)
            } else if variant >= 4 && count % Self.leaseSize == 0 {
                let changed = try SQLiteDirect.execute(
                    db.cachedStatement(sql: Self.counter), in: db, [.text(workspace), .integer(1), .integer(limit), .integer(Self.leaseSize)])
                precondition(changed == 1)
            }
            var ciphertext = blob
            if variant >= 7 { ciphertext = Data(try seal(name: name, version: UInt32(version))) }
            if variant <= 2 {
                try db.cachedStatement(sql: Self.rawInsert).execute(arguments: [workspace, name, version, ciphertext])
            } else {
                try SQLiteDirect.execute(db.cachedStatement(sql: Self.versionInsert), in: db, [
                    .text(workspace), .text(name), .integer(version), .integer(1), .blob([UInt8](ciphertext)), .text("raw"), .null,
                    .text("{}"), .null, .integer(now),
                ])
            }
            guard variant >= 5 else { return }
            var stored: Int64 = 0
            if let head = try SQLiteDirect.firstRow(db.cachedStatement(sql: Self.headRead), in: db, []), case .integer(let s) = head[0] {
                stored = s
            }
            let sequence = max(stored + 1, count)
            var recordMAC = mac, seal = mac
            if variant >= 7 {
                recordMAC = Data(try macKey.mac(Self.recordMessage(name: name)))
                seal = Data(try macKey.mac(Self.headMessage))
            }
            try SQLiteDirect.execute(db.cachedStatement(sql: Self.recordInsert), in: db, [
                .integer(sequence), .integer(now), .text("bench"), .text("put"), .text("success"), .text(workspace), .text(name),
                .integer(version), .text("data key 1"), .integer(1), .blob([UInt8](recordMAC)),
            ])
            guard variant >= 6 else { return }
            let moved = try SQLiteDirect.execute(
                db.cachedStatement(sql: Self.headUpdate), in: db, [.integer(sequence), .blob([UInt8](recordMAC)), .integer(1), .blob([UInt8](seal))])
            precondition(moved == 1)
        }
    }

    /// The record MAC message of a put by actor "bench" in workspace "bench" (docs/FORMAT.md
    /// "Audit chain"): its length is what the MAC's cost depends on.
    static func recordMessage(name: String) -> [UInt8] {
        let fields = "coffer/audit/v1".utf8.count + 32 + 8 + 8 + (4 + 5) + (4 + 3) + (4 + 7) + (1 + 4 + 5)
            + (1 + 4 + name.utf8.count) + (1 + 4) + (1 + 4 + "data key 1".utf8.count) + 4
        return [UInt8](repeating: 0x5A, count: fields)
    }

    /// The head message: `"coffer/audit-head/v1" ‖ u64 sequence ‖ mac[32]`.
    static let headMessage = [UInt8](repeating: 0x5A, count: "coffer/audit-head/v1".utf8.count + 8 + 32)

    /// The two MACs the audit chain computes per put (record, then head seal); returns a byte
    /// of them so the work is observable.
    func chainMACs(name: String, sequence: UInt64) throws -> Int {
        let record = try macKey.mac(Self.recordMessage(name: name))
        let head = try macKey.mac(Self.headMessage)
        return Int(record[0] ^ head[0] ^ UInt8(truncatingIfNeeded: sequence))
    }

    /// The vault's seal of the token for (`name`, `version`) (`VaultCore.seal`).
    func seal(name: String, version: UInt32) throws -> [UInt8] {
        try envelope.seal(token, context: .secret(workspace: workspace, name: name, version: version))
    }
}
