import Foundation
import Testing

/// Messages name only options that exist: every `--option` a message suggests is an option of
/// the command it is suggested for (the failing command, or the `coffer SUBCOMMAND` the
/// message quotes), as the command's own help (`--experimental-dump-help`) lists them.
@Suite struct OptionMentionTests {
    /// Long option names per command path ("coffer", "coffer workspace shred", …).
    static let optionsByCommand: [String: Set<String>] = {
        guard let cli = try? CLIRunner(),
              let r = try? cli.run(["--experimental-dump-help"]),
              let root = (try? JSONSerialization.jsonObject(with: r.stdout)) as? [String: Any],
              let command = root["command"] as? [String: Any]
        else { return [:] }
        var out: [String: Set<String>] = [:]
        func walk(_ command: [String: Any], path: [String]) {
            let name = command["commandName"] as? String ?? "?"
            let here = path + [name]
            var names = Set<String>()
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                for n in argument["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    if let s = n["name"] as? String { names.insert("--" + s) }
                }
            }
            names.insert("--help")
            out[here.joined(separator: " ")] = names
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, path: here) }
        }
        walk(command, path: [])
        return out
    }()

    /// The `--options` in `message`, each with the command path it is meant for: `command`
    /// until the message quotes `coffer SUB …`, then that subcommand.
    static func mentions(in message: String, command: String) -> [(command: String, option: String)] {
        // "coffer:" (the program's prefix on an error or log line) is not a quoted command.
        let tokens = message.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            .map { $0 == "coffer:" ? "" : $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"`(),;:.[]|")) }
        var context = command
        var out: [(String, String)] = []
        var i = 0
        while i < tokens.count {
            if tokens[i] == "coffer" {
                var path = "coffer"
                var j = i + 1
                while j < tokens.count, optionsByCommand[path + " " + tokens[j]] != nil {
                    path += " " + tokens[j]
                    j += 1
                }
                context = path
                i = j
                continue
            }
            let t = tokens[i]
            if t.hasPrefix("--"), let first = t.dropFirst(2).first, first.isLetter {
                let option = String(t.prefix { $0 != "=" })
                out.append((context, option))
            }
            i += 1
        }
        return out
    }

    static func expectOnlyExistingOptions(_ stderr: String, command: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (path, option) in mentions(in: stderr, command: command) {
            let known = optionsByCommand[path] ?? []
            #expect(known.contains(option), "'\(path)' has no \(option), but a message names it: \(stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func theHelpDumpListsTheCommands() {
        #expect(Self.optionsByCommand["coffer workspace shred"]?.contains("--receipt") == true)
        #expect(Self.optionsByCommand["coffer seal"]?.contains("--force") == true)
        #expect(Self.optionsByCommand["coffer workspace shred"]?.contains("--force") == false)
    }

    @Test func failureMessagesNameOnlyOptionsOfTheirCommand() throws {
        let e = try VaultCLITests.Env().initialised()
        #expect(try e.run(["put"], ["acme", "token"], stdin: Data("v".utf8)).status == 0)
        #expect(try e.run(["delete"], ["acme", "token", "--version", "1"]).status == 0)
        let taken = e.cli.path("taken")
        try Data("x".utf8).write(to: URL(fileURLWithPath: taken))
        let wrongKEK = "file:" + (try e.cli.makeKeyFile("wrong"))
        let missingStore = e.cli.path("missing.db")
        let scenarios: [(command: String, arguments: [String], stdin: Data?)] = [
            ("coffer workspace shred", ["workspace", "shred", "acme", "--now", "--confirm", "acme", "--receipt", taken] + e.base, nil),
            ("coffer workspace shred", ["workspace", "shred", "acme"] + e.base, nil),
            ("coffer export", ["export", "acme", "--plaintext", "--out", taken] + e.base, nil),
            ("coffer export", ["export", "acme"] + e.base, nil),
            ("coffer keygen", ["keygen", "--out", taken], nil),
            ("coffer seal", ["seal", "--kek", e.kek, "-w", "acme", "-n", "t", "--out", taken], Data("v".utf8)),
            ("coffer rotate", ["rotate", "acme", "--kek", wrongKEK, "--store", e.store], nil),
            ("coffer get", ["get", "acme", "token", "--version", "1"] + e.base, nil),
            ("coffer put", ["put", "nowhere", "token"] + e.base, Data("v".utf8)),
            ("coffer list", ["list", "acme", "--kek", e.kek, "--store", missingStore], nil),
            ("coffer import", ["import", "acme", "--format", "fernet"] + e.base, nil),
        ]
        for s in scenarios {
            let r = try e.cli.run(s.arguments, stdin: s.stdin)
            #expect(r.status != 0, "\(s.arguments) should fail")
            Self.expectOnlyExistingOptions(r.stderr, command: s.command)
        }
    }

    /// Every `--option` written in the sources' strings (messages, help, discussions) is an
    /// option of some `coffer` command.
    @Test func everyOptionNamedInTheSourcesExists() throws {
        let all = Self.optionsByCommand.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        #expect(!all.isEmpty)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let pattern = try NSRegularExpression(pattern: "--[a-z][a-z0-9-]*")
        for module in ["Coffer", "CofferCLI", "CofferCrypto", "CofferSQLite", "CofferPostgres"] {
            let dir = root.appendingPathComponent("Sources/\(module)")
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: dir.appendingPathComponent(file).path, encoding: .utf8)
                for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    let s = String(line)
                    for m in pattern.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                        let option = String(s[Range(m.range, in: s)!])
                        #expect(all.contains(option), "\(module)/\(file) names \(option), which no command has: \(s)")
                    }
                }
            }
        }
    }
}
