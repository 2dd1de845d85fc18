#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSodium

/// Where ``PassphraseKEKProvider`` gets its passphrase.
///
/// Passphrases are read into secure memory (wiped on release): from the C environment block
/// for environment variables, byte by byte from the terminal for prompts. Only
/// ``value(_:)`` (meant for tests) and an injected environment dictionary hold the
/// passphrase in a Swift `String`, which cannot be wiped.
public struct PassphraseSource: Sendable, CustomStringConvertible, CustomReflectable {
    /// The environment variable read by ``standard(environment:ttyPath:)``: `COFFER_PASSPHRASE`.
    public static let defaultVariable = "COFFER_PASSPHRASE"
    /// Longest passphrase accepted, in bytes.
    public static let maxByteCount = 1024

    enum Kind: Sendable {
        case environment(variable: String, environment: [String: String]?)
        case value(String)
        case terminal(ttyPath: String)
        case standard(variable: String, environment: [String: String]?, ttyPath: String)
    }

    let kind: Kind

    /// The passphrase from environment variable `variable` (of the process environment, or of
    /// `environment` when given).
    public static func environment(_ variable: String = defaultVariable, in environment: [String: String]? = nil) -> PassphraseSource {
        PassphraseSource(kind: .environment(variable: variable, environment: environment))
    }

    /// A fixed passphrase. For tests: a `String` cannot be wiped.
    public static func value(_ passphrase: String) -> PassphraseSource {
        PassphraseSource(kind: .value(passphrase))
    }

    /// An interactive prompt on the controlling terminal (`ttyPath`, normally `/dev/tty`), with
    /// echo turned off while the passphrase is typed.
    public static func terminal(ttyPath: String = "/dev/tty") -> PassphraseSource {
        PassphraseSource(kind: .terminal(ttyPath: ttyPath))
    }

    /// The usual choice: `COFFER_PASSPHRASE` if it is set, otherwise a prompt on the terminal;
    /// an error that says so when there is neither.
    public static func standard(environment: [String: String]? = nil, ttyPath: String = "/dev/tty") -> PassphraseSource {
        PassphraseSource(kind: .standard(variable: defaultVariable, environment: environment, ttyPath: ttyPath))
    }

    public var description: String {
        switch kind {
        case .environment(let variable, _): return "PassphraseSource(env:\(variable))"
        case .value: return "PassphraseSource(value: redacted)"
        case .terminal(let tty): return "PassphraseSource(terminal:\(tty))"
        case .standard(let variable, _, let tty): return "PassphraseSource(env:\(variable), else terminal:\(tty))"
        }
    }

    /// No children, so `dump` and debuggers cannot show a ``value(_:)`` passphrase.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    // MARK: Reading

    /// Reads the passphrase into secure memory. When `confirm` is true and the passphrase is
    /// typed at a prompt, it is asked for twice and the two must match.
    /// - Throws: ``CofferCryptoError/kekUnavailable(_:)`` saying what is missing.
    func read(prompt: String, confirm: Bool) throws -> SecureBytes {
        let passphrase: SecureBytes
        switch kind {
        case .environment(let variable, let environment):
            guard let p = try Self.fromEnvironment(variable, environment) else {
                throw CofferCryptoError.kekUnavailable("environment variable \(variable) is not set; set it to the passphrase")
            }
            passphrase = p
        case .value(let s):
            var s = s
            passphrase = s.withUTF8 { SecureBytes(copying: UnsafeRawBufferPointer($0)) }
        case .terminal(let tty):
            passphrase = try Self.fromTerminal(tty, prompt: prompt, confirm: confirm) { why in
                CofferCryptoError.kekUnavailable("cannot prompt for a passphrase: no terminal (\(tty): \(why))")
            }
        case .standard(let variable, let environment, let tty):
            if let p = try Self.fromEnvironment(variable, environment) {
                passphrase = p
            } else {
                passphrase = try Self.fromTerminal(tty, prompt: prompt, confirm: confirm) { why in
                    CofferCryptoError.kekUnavailable(
                        "no passphrase: \(variable) is not set and there is no terminal to prompt on (\(tty): \(why)); set \(variable) or run interactively")
                }
            }
        }
        guard passphrase.count > 0 else { throw CofferCryptoError.kekUnavailable("the passphrase is empty") }
        guard passphrase.count <= Self.maxByteCount else {
            throw CofferCryptoError.kekUnavailable("the passphrase is longer than \(Self.maxByteCount) bytes")
        }
        return passphrase
    }

    /// The passphrase in `variable` as secure bytes, or `nil` when the variable is not set.
    private static func fromEnvironment(_ variable: String, _ environment: [String: String]?) throws -> SecureBytes? {
        if let environment {
            guard var value = environment[variable] else { return nil }
            return value.withUTF8 { SecureBytes(copying: UnsafeRawBufferPointer($0)) }
        }
        guard let value = getenv(variable) else { return nil }
        return SecureBytes(copying: UnsafeRawBufferPointer(start: value, count: strlen(value)))
    }

    private static func fromTerminal(
        _ ttyPath: String, prompt: String, confirm: Bool, noTerminal: (String) -> CofferCryptoError
    ) throws -> SecureBytes {
        let fd = open(ttyPath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw noTerminal(POSIXFile.errorText()) }
        defer { close(fd) }
        guard isatty(fd) != 0 else { throw noTerminal("not a terminal") }
        let first = try readLine(fd, prompt: prompt)
        guard confirm else { return first }
        let second = try readLine(fd, prompt: "Repeat passphrase: ")
        guard first == second else { throw CofferCryptoError.kekUnavailable("the two passphrases entered do not match") }
        return first
    }

    /// Prompts on `fd` with echo off and reads one line into secure memory.
    private static func readLine(_ fd: Int32, prompt: String) throws -> SecureBytes {
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else {
            throw CofferCryptoError.kekUnavailable("cannot prompt for a passphrase: \(POSIXFile.errorText())")
        }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ICANON)
        guard tcsetattr(fd, TCSAFLUSH, &quiet) == 0 else {
            throw CofferCryptoError.kekUnavailable("cannot turn off terminal echo: \(POSIXFile.errorText())")
        }
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &saved)
            var newline = UInt8(ascii: "\n")
            _ = write(fd, &newline, 1)
        }
        var promptBytes = Array(prompt.utf8)
        _ = promptBytes.withUnsafeBytes { b in try? POSIXFile.writeAll(fd, b) }
        promptBytes.removeAll()

        var length = 0
        var tooLong = false
        let buffer = try SecureBytes(count: maxByteCount) { (b: UnsafeMutableRawBufferPointer) throws in
            var byte: UInt8 = 0
            defer { byte = 0 }
            while true {
                let n = readByte(fd, &byte)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CofferCryptoError.kekUnavailable("cannot read the passphrase: \(POSIXFile.errorText())")
                }
                if n == 0 || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                if length == b.count { tooLong = true; continue }  // drain the rest of the line
                b[length] = byte
                length += 1
            }
        }
        guard !tooLong else { throw CofferCryptoError.kekUnavailable("the passphrase is longer than \(maxByteCount) bytes") }
        return buffer.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[..<length])) }
    }
}

@inline(__always)
/// One `read(2)` of a single byte (a free function, so it does not clash with the
/// `read(prompt:confirm:)` method).
private func readByte(_ fd: Int32, _ byte: UnsafeMutablePointer<UInt8>) -> Int {
    read(fd, byte, 1)
}
