public import Foundation

/// Runs a Python helper script (python3 with pyca's `cryptography`, installed by
/// scripts/install-deps.sh) for the interop tests: JSON in on stdin, JSON out on stdout. A
/// script exits 3 when it cannot import `cryptography`.
public enum PythonHelper {
    /// python3 or `cryptography` is missing, or the helper failed; the text says what to do.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs `script` with `input` on stdin; returns its stdout. `purpose` names the helper in errors.
    public static func run(_ script: String, input: Data, purpose: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        do { try process.run() } catch {
            throw Unavailable(description: "cannot start /usr/bin/env python3 (\(error)); run scripts/install-deps.sh")
        }
        inPipe.fileHandleForWriting.write(input)
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: return out
        case 127: throw Unavailable(description: "python3 is not installed; run scripts/install-deps.sh")
        case 3:
            throw Unavailable(description:
                "python3 cannot import the `cryptography` package, needed to \(purpose) with pyca; "
                + "run scripts/install-deps.sh (or: python3 -m pip install cryptography)")
        default:
            throw Unavailable(description: "the Python helper to \(purpose) exited with status \(process.terminationStatus): \(err.suffix(600))")
        }
    }
}
