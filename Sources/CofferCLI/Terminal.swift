#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CofferCrypto
import CofferInput

/// Raw, exact output to the standard streams and files, and the input rules for secrets.
enum Terminal {
    /// Writes `message` as one line to standard error, its control characters escaped
    /// (``TerminalText``): a message may quote names and labels from the store.
    static func printError(_ message: String) {
        var line = TerminalText.escaped(message) + "\n"
        _ = line.withUTF8 { writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    /// Writes bytes to a file descriptor, retrying partial writes; returns false on failure.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Writes bytes to standard output exactly, nothing added.
    static func writeStdout(_ bytes: UnsafeRawBufferPointer) throws {
        guard writeAll(1, bytes) else {
            throw CLIFailure(status: .software, message: "cannot write to standard output (errno \(errno))")
        }
    }

    /// Writes `bytes` to the claimed `output` file or, when it is nil, exactly to standard output.
    static func writeOutput(_ bytes: UnsafeRawBufferPointer, to output: OutputFile?) throws {
        if let output {
            try output.commit(bytes)
        } else {
            try writeStdout(bytes)
        }
    }

    /// Reads a secret value from `file`, or from standard input when `file` is nil. Refuses a
    /// terminal on stdin (the value would be echoed), empty values and values over `limit`.
    static func readSecret(file: String?, limit: Int) throws -> SecretBytes {
        let value: SecretBytes
        do {
            if let file {
                value = try SecretReader.readFile(atPath: file, limit: limit)
            } else {
                guard isatty(0) == 0 else {
                    throw CLIFailure(
                        status: .usage,
                        message: "refusing to read a secret typed on a terminal (it would be echoed); pipe it on stdin or pass --file PATH")
                }
                value = try SecretReader.readAll(fileDescriptor: 0, limit: limit)
            }
        } catch CofferCryptoError.messageTooLarge(let limit) {
            throw CLIFailure(status: .invalidInput, message: "value is larger than the limit of \(limit) bytes; nothing was stored")
        } catch CofferCryptoError.libraryFailure(let what) {
            throw CLIFailure(status: .notFound, message: "cannot read the value: \(what)")
        }
        guard value.count > 0 else {
            throw CLIFailure(status: .invalidInput, message: "value is empty; nothing was stored")
        }
        return value
    }

    /// Reads a non-secret document (at most `limit` bytes) from `file` or standard input.
    static func readDocument(file: String?, limit: Int) throws -> [UInt8] {
        do {
            if let file {
                return try SecretReader.readFile(atPath: file, limit: limit).unprotectedArray()
            }
            return try SecretReader.readAll(fileDescriptor: 0, limit: limit).unprotectedArray()
        } catch CofferCryptoError.messageTooLarge(let limit) {
            throw CLIFailure(status: .invalidInput, message: "input is larger than \(limit) bytes")
        } catch CofferCryptoError.libraryFailure(let what) {
            throw CLIFailure(status: .notFound, message: "cannot read the input: \(what)")
        }
    }
}
