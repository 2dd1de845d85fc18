import CofferCrypto
import Foundation

/// A small, lock-protected set of ``SQLiteReader``s used synchronously on the caller's thread.
///
/// ``withReader(_:)`` checks a free reader out (opening one when none is free and fewer than
/// `limit` exist), runs the body, and puts it back. When `limit` readers are all in use it
/// returns nil and the caller takes its fallback path (the GRDB pool), so connections stay
/// bounded and no caller ever waits here. WAL lets every reader run concurrently with each
/// other and with the writer.
final class SQLiteReaderSet: Sendable {
    // Sendable without @unchecked: `path`, `busyTimeout`, `limit` are immutable Sendable values,
    // and the readers live in a PosixMutex (Sendable for any contents), which hands each one to
    // one caller at a time.
    private struct State {
        var free: [SQLiteReader] = []
        var open = 0
    }

    private enum Checkout { case reader(SQLiteReader), open, full }

    private let state = PosixMutex(State())
    private let path: String
    private let busyTimeout: TimeInterval
    private let limit: Int

    init(path: String, busyTimeout: TimeInterval, limit: Int) {
        self.path = path
        self.busyTimeout = busyTimeout
        self.limit = max(1, limit)
    }

    /// Runs `body` with a reader of its own, or returns nil when all `limit` readers are busy.
    func withReader<T>(_ body: (SQLiteReader) throws -> T) throws -> T? {
        let checkout: Checkout = state.withLock { s in
            if let r = s.free.popLast() { return .reader(r) }
            if s.open < limit { s.open += 1; return .open }
            return .full
        }
        let reader: SQLiteReader
        switch checkout {
        case .reader(let r):
            reader = r
        case .full:
            return nil
        case .open:
            do {
                reader = try SQLiteReader(path: path, busyTimeout: busyTimeout)
            } catch {
                state.withLock { $0.open -= 1 }
                throw error
            }
        }
        defer { state.withLock { $0.free.append(reader) } }
        return try body(reader)
    }
}
