import Coffer
import CofferSQLite
import Foundation
import GRDB
import Testing

/// Opening a second store on a database this process already has open must not drop the
/// POSIX locks of the connections that hold it: closing any descriptor of the file releases
/// them all (https://www.sqlite.org/howtocorrupt.html, §2.2), after which other processes can
/// write under a reader or reset the WAL index it uses. The store's header check therefore
/// reads through SQLite's VFS, which defers such closes.
@Suite("SQLiteStore file locks")
struct SQLiteStoreLockTests {
    typealias S = StoreTestSupport

    /// Whether another process sees SQLite's SHARED lock range of `path` locked (python3 `fcntl`
    /// F_GETLK from a child process: a process never sees its own locks).
    static func sharedRangeLocked(_ path: String) throws -> Bool {
        let script = """
        import fcntl, os, struct, sys
        fd = os.open(sys.argv[1], os.O_RDONLY)
        req = struct.pack('hhqqi4x', fcntl.F_WRLCK, os.SEEK_SET, 0x40000000 + 2, 510, 0)
        res = fcntl.fcntl(fd, fcntl.F_GETLK, req)
        print("free" if struct.unpack('hhqqi4x', res)[0] == fcntl.F_UNLCK else "locked")
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 lock probe failed")
        return text.trimmingCharacters(in: .whitespacesAndNewlines) == "locked"
    }

    @Test func openingASecondStoreKeepsTheFirstConnectionsLocks() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/coffer.db"
        let first = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(first, "w")
        let reader = try DatabaseQueue(path: path)
        try await reader.read { _ in
            // Inside a read transaction this process holds SHARED on the database file.
            #expect(try Self.sharedRangeLocked(path))
            let second = try SQLiteStore(path: path, logger: S.logger)
            #expect(try Self.sharedRangeLocked(path), "opening a second store released this process's locks")
            withExtendedLifetime(second) {}
        }
        withExtendedLifetime(first) {}
    }
}
