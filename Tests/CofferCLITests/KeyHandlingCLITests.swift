import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 10, sections 4 and 5: a key pasted where a URI belongs is never echoed; KEK problems
/// are exit 78 (a wrong KEK 77) with exactly one line on stderr; key sources that are not
/// regular files are refused at once; a killed `coffer get` leaves no core file.
@Suite struct KeyHandlingCLITests {
    typealias Env = VaultCLITests.Env

    /// A fresh random 32-byte key in the forms someone could paste: standard base64 (with a
    /// `+` or `/`, so it is a valid path-like string too), URL-safe base64, unpadded, and hex.
    struct PastedKey {
        let bytes: [UInt8]
        var base64: String { Data(bytes).base64EncodedString() }
        var urlSafe: String { base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }
        var unpadded: String { base64.replacingOccurrences(of: "=", with: "") }
        var hex: String { bytes.map { String(format: "%02x", $0) }.joined() }
        /// Every text form, and the parts of them long enough to identify the key.
        var forms: [String] { [base64, urlSafe, unpadded, hex, hex.uppercased()] }

        /// A random key whose base64 form has a `+` or `/` (so its URL-safe form differs);
        /// `dashFirst`: one whose URL-safe form starts with `-` (first byte 0xF8…0xFB).
        init(dashFirst: Bool = false) {
            var b: [UInt8]
            repeat {
                b = (0..<32).map { _ in UInt8.random(in: 0...255) }
                if dashFirst { b[0] = 0xF8 | (b[0] & 0x03) }
            } while !Data(b).base64EncodedString().contains(where: { $0 == "+" || $0 == "/" })
            bytes = b
        }

        /// Whether `output` holds any form of the key, or a 16-character piece of one.
        func leaks(in output: String) -> Bool {
            forms.contains { form in
                stride(from: 0, through: form.count - 16, by: 4).contains { start in
                    let a = form.index(form.startIndex, offsetBy: start)
                    return output.contains(form[a..<form.index(a, offsetBy: 16)])
                }
            }
        }
    }

    @Test(arguments: [false, true]) func aKeyPastedAsAKEKSettingIsNeverEchoed(dashFirst: Bool) throws {
        let e = try Env().initialised()
        let store = ["--store", e.store]
        let key = PastedKey(dashFirst: dashFirst)
        #expect(key.urlSafe.hasPrefix("-") == dashFirst)
        for form in [key.base64, key.urlSafe, key.hex] {
            let ways: [(String, [String], [String: String])] = [
                ("COFFER_KEK", ["list", "acme"] + store, ["COFFER_KEK": form]),
                ("--kek", ["list", "acme", "--kek", form] + store, [:]),
                ("--kek file:", ["list", "acme", "--kek", "file:" + form] + store, [:]),
                ("--kek file://", ["list", "acme", "--kek", "file:///" + form] + store, [:]),
                ("--kek env:", ["list", "acme", "--kek", "env:" + form] + store, [:]),
                ("--kek passphrase:", ["list", "acme", "--kek", "passphrase:" + form] + store, ["COFFER_PASSPHRASE": "pass phrase"]),
                ("--kek scheme", ["list", "acme", "--kek", form + ":x"] + store, [:]),
                ("--new-kek", ["rotate-kek", "--kek", e.kek, "--new-kek", form] + store, [:]),
                ("--new-kek file:", ["rotate-kek", "--kek", e.kek, "--new-kek", "file:" + form] + store, [:]),
                ("COFFER_KEK_PREVIOUS", ["list", "acme", "--kek", e.kek] + store, ["COFFER_KEK_PREVIOUS": form]),
                ("COFFER_KEK_PREVIOUS file:", ["list", "acme", "--kek", e.kek] + store, ["COFFER_KEK_PREVIOUS": "file:" + form]),
                ("--previous-kek", ["list", "acme", "--kek", e.kek, "--previous-kek", form] + store, [:]),
                ("--previous-kek file:", ["list", "acme", "--kek", e.kek, "--previous-kek", "file:" + form] + store, [:]),
                ("kek id", ["kek", "id", "--kek", form], [:]),
                ("kek id file:", ["kek", "id", "--kek", "file:" + form], [:]),
            ]
            for (way, arguments, environment) in ways {
                // With a log level too: log lines must not carry the key either.
                for logLevel in [[], ["--log-level", "trace"]] {
                    let r = try e.cli.run(arguments + logLevel, environment: environment)
                    // A URL-safe key can start with "-": as an option's value on its own it reads
                    // as an option, a usage error (64) that must not echo it either.
                    let readsAsOption = form.hasPrefix("-") && arguments.contains { $0.hasPrefix(form) }
                    #expect(r.status == 78 || (readsAsOption && r.status == 64), "\(way): status \(r.status)")
                    #expect(!key.leaks(in: r.stderr + r.stdoutText), "\(way) \(logLevel): the key was echoed")
                }
            }
        }
        // The pasted passphrase path was not turned into a parameters file named after the key.
        let names = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
            + FileManager.default.contentsOfDirectory(atPath: e.cli.dir.path)
        #expect(!names.contains { key.leaks(in: $0) })
    }

    /// swift-argument-parser's own errors quote the value they reject; a key pasted where the
    /// parser expects something else is shown as its length instead (exit 64 all the same).
    @Test func aKeyTheArgumentParserRejectsIsNeverEchoed() throws {
        let e = try Env().initialised()
        let store = ["--store", e.store]
        let key = PastedKey()
        for form in [key.base64, key.urlSafe, "-" + String(key.urlSafe.dropFirst()), key.hex] {
            let ways: [(String, [String])] = [
                ("unexpected argument", ["list", "acme", form] + store),
                ("--batch value", ["reencrypt", "acme", "--kek", e.kek, "--batch", form] + store),
                ("--batch=value", ["reencrypt", "acme", "--kek", e.kek, "--batch=" + form] + store),
                ("--limit value", ["audit", "list", "--limit", form] + store),
                ("value for a flag", ["list", "acme", "--json=" + form] + store),
                ("as an option", ["list", "acme", "--" + form] + store),
            ]
            for (way, arguments) in ways {
                let r = try e.cli.run(arguments)
                #expect(r.status == 64, "\(way): status \(r.status)")
                #expect(!r.stderr.isEmpty, "\(way): no message")
                #expect(!key.leaks(in: r.stderr + r.stdoutText), "\(way): the key was echoed")
            }
        }
        // Short values are not key material: the parser's message still shows them.
        let r = try e.cli.run(["reencrypt", "acme", "--kek", e.kek, "--batch", "abc"] + store)
        #expect(r.status == 64)
        #expect(r.stderr.contains("'abc'") && r.stderr.contains("--batch"), "\(r.stderr)")
        let long = try e.cli.run(["list", "acme", key.base64] + store)
        #expect(long.stderr.contains("<44 characters, not shown>"), "\(long.stderr)")
    }

    @Test func kekProblemsOnCommandsThatDoNotDecryptAreExit78WithOneLine() throws {
        let e = try Env().initialised()
        try FileManager.default.createDirectory(atPath: e.cli.path("p"), withIntermediateDirectories: true)
        let open = try e.cli.makeKeyFile("open-kek", mode: 0o644)
        let cases: [(String, String, [String: String])] = [
            ("missing key file", "file:" + e.cli.path("missing"), [:]),
            ("0644 key file", "file:" + open, [:]),
            ("unset env:", "env:COFFER_TEST_UNSET_KEK", [:]),
            ("bad env: value", "env:COFFER_TEST_BAD_KEK", ["COFFER_TEST_BAD_KEK": "not base64 at all"]),
            ("empty passphrase", "passphrase:" + e.cli.path("p/params.json"), ["COFFER_PASSPHRASE": ""]),
            ("not a URI", "kek.key", [:]),
        ]
        for command in [["list", "acme"], ["workspace", "list"], ["history", "acme", "nothing"], ["status"]] {
            for (label, kek, environment) in cases {
                let r = try e.cli.run(command + ["--store", e.store, "--kek", kek], environment: environment)
                #expect(r.status == 78, "\(command) \(label): \(r.status) \(r.stderr)")
                #expect(Self.lines(r.stderr).count == 1, "\(command) \(label): \(r.stderr)")
                #expect(!r.stderr.contains("check the store"), "\(command) \(label)")
            }
        }
        // A well-formed key that is not the store's: authentication failed, on commands that
        // only read metadata too (their audit record needs the store's audit key).
        #expect(try e.run(["put"], ["acme", "s"], stdin: Data("v".utf8)).status == 0)
        let wrong = "file:" + (try e.cli.makeKeyFile("wrong-kek"))
        for command in [["list", "acme"], ["history", "acme", "s"]] {
            let r = try e.cli.run(command + ["--store", e.store, "--kek", wrong])
            #expect(r.status == 77, "\(command) wrong KEK: \(r.status) \(r.stderr)")
            #expect(Self.lines(r.stderr).count == 1, "\(command) wrong KEK: \(r.stderr)")
        }
    }

    @Test func keySourcesThatAreNotRegularFilesAreRefusedAtOnce() throws {
        let e = try Env().initialised()
        let fifo = e.cli.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        _ = try e.run(["put"], ["acme", "s"], stdin: Data("v".utf8))
        let key = e.cli.path("id.key")
        #expect(try e.cli.run(["keygen", "--out", key]).status == 0)
        let bundle = e.cli.path("b.bundle")
        #expect(try e.run(["export"], ["acme", "--to", key + ".pub", "--out", bundle]).status == 0)
        let store = ["--store", e.store]
        let cases: [(String, [String], [String: String])] = [
            ("FIFO key file", ["list", "acme", "--kek", "file:" + fifo] + store, [:]),
            ("device key file", ["list", "acme", "--kek", "file:/dev/zero"] + store, [:]),
            ("directory key file", ["list", "acme", "--kek", "file:" + e.cli.dir.path] + store, [:]),
            ("FIFO previous KEK", ["get", "acme", "s", "--kek", e.kek, "--previous-kek", "file:" + fifo] + store, [:]),
            ("FIFO passphrase params", ["list", "acme", "--kek", "passphrase:" + fifo] + store, ["COFFER_PASSPHRASE": "pass phrase"]),
            ("FIFO bundle passphrase file", ["export", "acme", "--passphrase-file", fifo, "--out", e.cli.path("p.bundle"), "--kek", e.kek] + store, [:]),
            ("FIFO identity", ["import", "acme2", "--format", "bundle", "--identity", fifo, "--file", bundle, "--kek", e.kek] + store, [:]),
            ("FIFO recipient", ["export", "acme", "--to", fifo, "--out", e.cli.path("x.bundle"), "--kek", e.kek] + store, [:]),
        ]
        for (label, arguments, environment) in cases {
            let r = try Self.runBounded(e.cli, arguments, environment: environment)
            #expect(r?.status == 78, "\(label): \(r.map { "\($0.status) \($0.stderr)" } ?? "still blocked after 30 s")")
            if let r { #expect(Self.lines(r.stderr).count == 1, "\(label): \(r.stderr)") }
        }
    }

    /// A `coffer get` killed with SIGABRT while it holds the KEK, the data key and a 1 MiB
    /// plaintext (blocked writing it to a full pipe) writes no core file, although its parent
    /// allowed unlimited core files.
    @Test func anAbortedGetLeavesNoCoreFile() throws {
        let e = try Env().initialised()
        let marker = Array("coffer-core-marker-\(UUID().uuidString)".utf8)
        var value = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        value.replaceSubrange(0..<marker.count, with: marker)
        #expect(try e.run(["put"], ["acme", "big"], stdin: Data(value)).status == 0)

        let cwd = e.cli.path("cwd")
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -c unlimited && exec \"$0\" \"$@\"", CLIRunner.binary.path, "get", "acme", "big"] + e.base
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // The first byte of output: `get` has loaded the KEK, unwrapped the data key and
        // decrypted the value, and blocks writing the rest of it (1 MiB > the pipe's 64 KiB).
        var first: UInt8 = 0
        let n = read(out.fileHandleForReading.fileDescriptor, &first, 1)
        try #require(n == 1, "coffer get wrote nothing")
        let pid = process.processIdentifier
        let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let coreLimit = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        #expect(coreLimit.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(coreLimit)")

        kill(pid, SIGABRT)
        for _ in 0..<600 where process.isRunning { usleep(50_000) }
        #expect(!process.isRunning, "coffer get did not die within 30 s of SIGABRT")
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGABRT, "\(process.terminationStatus)")
        let pattern = (try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8)) ?? "|"
        if !pattern.hasPrefix("|") && !pattern.hasPrefix("/") {
            // core_pattern names a file in the dead process's working directory: there is none.
            let files = try FileManager.default.contentsOfDirectory(atPath: cwd)
            #expect(files.isEmpty, "core files: \(files)")
        }
    }

    // MARK: Helpers

    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// Runs the CLI like ``CLIRunner/run(_:stdin:environment:)`` but gives up (killing it) after
    /// 30 s, so that a command blocked forever fails the test instead of hanging the suite.
    static func runBounded(_ cli: CLIRunner, _ arguments: [String], environment: [String: String]) throws -> CLIRunner.Result? {
        let process = Process()
        process.executableURL = CLIRunner.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "COFFER_KEK")
        env.removeValue(forKey: "COFFER_PASSPHRASE")
        env["HOME"] = cli.dir.path
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let outFile = cli.path("bounded.out"), errFile = cli.path("bounded.err")
        FileManager.default.createFile(atPath: outFile, contents: nil)
        FileManager.default.createFile(atPath: errFile, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        try process.run()
        for _ in 0..<600 where process.isRunning { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return CLIRunner.Result(
            status: process.terminationStatus, stdout: (try? Data(contentsOf: URL(fileURLWithPath: outFile))) ?? Data(),
            stderr: (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
    }
}
