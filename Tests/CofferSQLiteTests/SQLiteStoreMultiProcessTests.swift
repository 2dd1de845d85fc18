import Coffer
import CofferSQLite
import Foundation
import Testing

/// Two OS processes (children running `coffer-store-stress`, built as a dependency of this
/// test target and found next to the test binary) and many tasks in this process write to one
/// database file at once; nothing may be lost or duplicated.
@Suite("SQLiteStore multi-process")
struct SQLiteStoreMultiProcessTests {
    typealias S = StoreTestSupport

    /// The `coffer-store-stress` executable: `$COFFER_STORE_STRESS`, or next to the test binary
    /// (Linux: `.build/debug/x.xctest`; macOS: `.build/debug/x.xctest/Contents/MacOS/x`).
    static func stressExecutable() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["COFFER_STORE_STRESS"] {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("coffer-store-stress")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw VaultError.storeUnavailable("coffer-store-stress not found near \(CommandLine.arguments[0]); set COFFER_STORE_STRESS")
    }

    @Test(.timeLimit(.minutes(10)))
    func twoProcessesAndManyTasksLoseNothing() async throws {
        let dir = try TempDirectory()
        let path = dir.path + "/shared.db"
        let store = try SQLiteStore(path: path, logger: S.logger)
        try await S.createWorkspace(store, "w")
        let executable = try Self.stressExecutable()

        let perChild = 400
        let children = (0..<2).map { n -> (Process, Pipe, Pipe) in
            let process = Process()
            process.executableURL = executable
            process.arguments = [path, "w", "child\(n)", String(perChild)]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            return (process, out, err)
        }
        for (process, _, _) in children { try process.run() }

        // Meanwhile, 4 tasks here.
        let tasks = 4, perTask = 50
        let mine = try await withThrowingTaskGroup(of: [(UInt32, String)].self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var written: [(UInt32, String)] = []
                    for i in 0..<perTask {
                        let value = "parent\(t)-\(i)"
                        let info = try await S.put(store, "w", "shared", value: Array(value.utf8), maxVersions: 1_000_000)
                        written.append((info.version, value))
                    }
                    return written
                }
            }
            var all: [(UInt32, String)] = []
            for try await part in group { all += part }
            return all
        }

        var written = mine
        for (n, (process, out, err)) in children.enumerated() {
            // Read before waiting so a full pipe cannot block the child.
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "child \(n) failed: \(errors)")
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                try #require(parts.count == 3 && parts[0] == "put", "unexpected child output: \(line)")
                written.append((try #require(UInt32(parts[1])), String(parts[2])))
            }
        }

        let total = 2 * perChild + tasks * perTask
        #expect(written.count == total)
        #expect(written.map(\.0).sorted() == (1...UInt32(total)).map { $0 })
        let history = try await store.history(workspace: "w", name: "shared")
        #expect(history.map(\.version) == (1...UInt32(total)).map { $0 })
        for (version, value) in written {
            let stored = try await store.secretVersion(workspace: "w", name: "shared", version: version)
            #expect(stored?.ciphertext == Array(value.utf8), "version \(version)")
        }
        for n in 0..<2 {
            #expect(try await store.history(workspace: "w", name: "own-child\(n)").count == perChild)
        }
    }
}
