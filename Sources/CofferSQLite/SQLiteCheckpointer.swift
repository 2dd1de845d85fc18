import CofferCrypto
import Dispatch
import Foundation
import GRDB
import GRDBSQLite
public import Logging

/// Runs the store's WAL checkpoints on a background queue and its own connection, so a put does
/// not wait for them.
///
/// Why: with `synchronous = NORMAL` a commit only appends frames to the `-wal` file; the fsyncs
/// happen at checkpoints (the WAL before the copy, the database file after it), and their cost
/// grows with the frames written since the last one. SQLite's automatic checkpoint (every 1000
/// frames) runs them on the committing connection, inside the put that crossed the threshold:
/// measured at 6–14 µs of a put's wall time per WAL frame it writes, about a third of a put
/// (BENCHMARKS.md, issue 14).
///
/// How: the writer's automatic checkpoint is replaced by a WAL hook (``install(on:)``) that,
/// every ``Limits/trigger`` frames, asks this queue for one `PASSIVE` checkpoint on its own
/// read-write connection (same `synchronous` level, so it syncs exactly as the automatic one
/// would: the durability window stays ~``Limits/trigger`` frames). A passive checkpoint never
/// waits for or blocks readers and writers, of this process or another. The WAL restarts from
/// its beginning at the first commit after a checkpoint that copied every frame; during a burst
/// of writes the background pass may keep lagging, so the bound stays with the writer: once the
/// WAL holds ``Limits/inline`` frames or more, the committing connection runs the `PASSIVE`
/// checkpoint itself, as SQLite's automatic checkpoint does today (when the background pass
/// holds the checkpoint lock at that instant, the writer waits for that pass and tries once more;
/// a checkpoint of another process holding it leaves the next commit to try again).
/// Other processes sharing the file may use the automatic checkpoint or their own checkpointer;
/// checkpoints of several connections exclude each other on SQLite's checkpoint lock.
///
/// The store's `deinit` calls ``uninstall(from:)`` (the writer's automatic checkpoint comes back)
/// and ``close()`` (waits for a pass in flight and closes the connection), so the pool's writer still runs the final
/// checkpoint when it closes last.
///
/// SPI (`@_spi(Testing)`) so that `coffer-vault-bench --put-breakdown` runs the store's
/// statements with the store's checkpointing; applications use it only through the store.
@_spi(Testing)
public final class SQLiteCheckpointer: Sendable {
    // Sendable without @unchecked: `queue`, `limits`, `logger` are immutable Sendable values; the
    // connection and the hook state live in PosixMutexes (Sendable for any contents).

    /// When checkpoints run, in WAL frames (pages).
    public struct Limits: Sendable, Hashable {
        /// Frames appended since the last request after which a background pass is requested
        /// (SQLite's automatic-checkpoint default).
        public var trigger: Int32 = 1_000
        /// WAL length (frames) from which the writer checkpoints inline after its commit; about
        /// 32 MiB of WAL at 4 KiB pages.
        public var inline: Int32 = 8_000

        /// Limits with the defaults described on each property.
        public init(trigger: Int32 = 1_000, inline: Int32 = 8_000) {
            self.trigger = trigger
            self.inline = inline
        }
    }

    /// Counters for tests and diagnostics.
    public struct Statistics: Sendable, Hashable {
        /// Background passes that ran.
        public var passes = 0
        /// Inline checkpoints the writer ran (including ones that found the lock taken).
        public var inlineCheckpoints = 0
        /// Longest WAL (frames) the writer's hook has seen after a commit.
        public var maximumFrames: Int32 = 0
        /// WAL length (frames) after the most recent commit.
        public var lastFrames: Int32 = 0
    }

    private struct HookState {
        var lastTrigger: Int32 = 0
        var pending = false
        var closed = false
        var statistics = Statistics()
    }

    /// The thresholds this checkpointer uses.
    public let limits: Limits
    private let connection: PosixMutex<OpaquePointer?>
    private let state = PosixMutex(HookState())
    private let queue = DispatchQueue(label: "coffer.sqlite.checkpoint")
    private let logger: Logger

    /// Opens the checkpointing connection on `path` (an existing WAL database).
    /// - Throws: GRDB's `DatabaseError` when it cannot be opened.
    public init(path: String, synchronous: SQLiteStore.Options.Synchronous, limits: Limits, logger: Logger) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) }
            if let db { sqlite3_close_v2(db) }
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
        }
        sqlite3_extended_result_codes(db, 1)
        // A checkpoint syncs according to the checkpointing connection's level: the store's.
        let pragma = sqlite3_exec(db, "PRAGMA synchronous = \(synchronous.rawValue)", nil, nil, nil)
        guard pragma == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            throw DatabaseError(resultCode: ResultCode(rawValue: pragma), message: message)
        }
        self.connection = PosixMutex(db)
        self.limits = limits
        self.logger = logger
    }

    /// Replaces `writer`'s automatic checkpoint with this checkpointer's hook. `self` must stay
    /// alive until ``uninstall(from:)`` removed it.
    public func install(on writer: OpaquePointer) {
        sqlite3_wal_hook(writer, { context, db, _, frames in
            guard let context, let db else { return SQLITE_OK }
            Unmanaged<SQLiteCheckpointer>.fromOpaque(context).takeUnretainedValue().didCommit(db, frames: frames)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private enum Action { case none, background, inline }

    /// The WAL hook: runs on the writer's thread after each commit, with the WAL's frame count.
    private func didCommit(_ writer: OpaquePointer, frames: Int32) {
        let action = state.withLock { s -> Action in
            s.statistics.lastFrames = frames
            s.statistics.maximumFrames = max(s.statistics.maximumFrames, frames)
            if frames < s.lastTrigger { s.lastTrigger = 0 }  // the WAL restarted
            if s.closed { return .none }
            if frames >= limits.inline {
                s.statistics.inlineCheckpoints += 1
                return .inline
            }
            guard frames - s.lastTrigger >= limits.trigger else { return .none }
            s.lastTrigger = frames
            if s.pending { return .none }
            s.pending = true
            return .background
        }
        switch action {
        case .none:
            break
        case .inline:
            // What SQLite's automatic checkpoint does. BUSY: another checkpoint holds the lock
            // (SQLite never waits for it); when it is this store's background pass, wait for that
            // pass and try once more, so the bound holds within the process. A checkpoint of
            // another process leaves it to the next commit.
            var rc = sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if rc & 0xFF == SQLITE_BUSY {
                drain()
                rc = sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
            if rc != SQLITE_OK && rc & 0xFF != SQLITE_BUSY {
                logger.debug("inline WAL checkpoint failed", metadata: ["rc": "\(rc)"])
            }
        case .background:
            queue.async { self.pass() }
        }
    }

    /// One background `PASSIVE` checkpoint.
    private func pass() {
        state.withLock { $0.pending = false }
        connection.withLock { db in
            guard let db else { return }
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            if rc != SQLITE_OK && rc & 0xFF != SQLITE_BUSY {
                logger.debug("background WAL checkpoint failed", metadata: ["rc": "\(rc)"])
            }
        }
        state.withLock { $0.statistics.passes += 1 }
    }

    /// Waits until every pass requested so far has run.
    public func drain() {
        queue.sync {}
    }

    /// Counters so far.
    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Puts SQLite's automatic checkpoint back on `writer` (its default, every 1000 frames), which
    /// removes this checkpointer's hook. Call on the writer's own thread (inside the pool's write).
    public func uninstall(from writer: OpaquePointer?) {
        if let writer { sqlite3_wal_autocheckpoint(writer, 1_000) }
    }

    deinit {
        close()
    }

    /// Stops requesting passes, waits for a pass in flight and closes the checkpointing
    /// connection. Idempotent.
    public func close() {
        state.withLock { $0.closed = true }
        connection.withLock { db in
            if let db { sqlite3_close_v2(db) }
            db = nil
        }
    }
}
