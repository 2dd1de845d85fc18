public import Foundation

/// Finds and runs the executables built with this test target (`coffer`,
/// `coffer-store-stress`), as real OS processes. Shared by the PostgreSQL and KMS test targets.
public enum ChildProcess {
    public struct NotFound: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "\(name) not found near the test binary \(CommandLine.arguments[0]); run swift build --build-tests" }
    }

    /// The executable `name` next to the test binary (Linux: `.build/debug/x.xctest`; macOS:
    /// inside the bundle).
    public static func executable(_ name: String) throws -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        throw NotFound(name: name)
    }

    /// A started process whose output is collected.
    public struct Running {
        public let process: Process
        public let out: Pipe
        public let err: Pipe

        /// Waits for the exit; reads the pipes first so a full pipe cannot block the child.
        public func finish() -> (status: Int32, stdout: String, stderr: String) {
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, stdout, stderr)
        }
    }

    /// Starts `executable` with `arguments`, this process's environment plus `environment`, and
    /// `stdin` (closed after writing).
    public static func start(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> Running {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["COFFER_KEK", "COFFER_STORE", "COFFER_MAINTENANCE_STORE", "PGPASSWORD"] { env.removeValue(forKey: key) }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let inPipe = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = inPipe
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try inPipe.fileHandleForWriting.close()
        return Running(process: process, out: out, err: err)
    }

    /// Runs to completion.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try start(executable, arguments, environment: environment, stdin: stdin).finish()
    }
}
