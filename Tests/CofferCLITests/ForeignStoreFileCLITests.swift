import Foundation
import GRDB
import Testing

/// `--store` naming a file that is not a Coffer database: refused with exit 69 and left
/// exactly as it was (bytes and mode, no -wal/-shm companions). Only `init` creates, and only
/// from nothing or an empty file.
@Suite struct ForeignStoreFileCLITests {
    struct FileState: Equatable {
        let bytes: Data
        let mode: Int
        let companions: [String]
    }

    static func state(_ path: String) throws -> FileState {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let companions = ["-wal", "-shm", "-journal"].filter { FileManager.default.fileExists(atPath: path + $0) }
        return FileState(bytes: try Data(contentsOf: URL(fileURLWithPath: path)), mode: attributes[.posixPermissions] as? Int ?? -1, companions: companions)
    }

    /// Every kind of command: reads, writes, maintenance, and init last.
    static func commands(_ kek: String, _ store: String) -> [([String], Data?)] {
        let base = ["--kek", kek, "--store", store]
        return [
            (["workspace", "list"] + base, nil),
            (["list", "acme"] + base, nil),
            (["get", "acme", "token"] + base, nil),
            (["status"] + base, nil),
            (["audit", "verify"] + base, nil),
            (["put", "acme", "token"] + base, Data("v".utf8)),
            (["workspace", "create", "acme"] + base, nil),
            (["purge"] + base, nil),
        ]
    }

    @Test func aNonCofferFileIsRefusedAndUntouched() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        // A text file, a foreign SQLite database and a truncated SQLite header, all 0644.
        let text = cli.path("notes.txt")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: text))
        let foreign = cli.path("other-app.db")
        let queue = try DatabaseQueue(path: foreign)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT)")
            try db.execute(sql: "INSERT INTO photos (title) VALUES ('holiday')")
        }
        try queue.close()
        let header = cli.path("header-only.db")
        try Data("SQLite format 3\0".utf8).write(to: URL(fileURLWithPath: header))
        for path in [text, foreign, header] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let before = try Self.state(path)
            for (command, stdin) in Self.commands(kek, path) + [(["init", "--kek", kek, "--store", path], nil)] {
                let r = try cli.run(command, stdin: stdin)
                #expect(r.status == 69, "\(command): \(r.status) \(r.stderr)")
                #expect(r.stderr.contains(path), "\(command): the message names the file: \(r.stderr)")
                #expect(try Self.state(path) == before, "\(command) changed \(path)")
            }
        }
    }

    @Test func anEmptyFileIsNotAVaultUntilInit() throws {
        let cli = try CLIRunner()
        let kek = "file:" + (try cli.makeKeyFile())
        let empty = cli.path("empty.db")
        FileManager.default.createFile(atPath: empty, contents: Data())
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: empty)
        let before = try Self.state(empty)
        for (command, stdin) in Self.commands(kek, empty) {
            let r = try cli.run(command, stdin: stdin)
            #expect(r.status == 69, "\(command): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("coffer init"), "\(command): \(r.stderr)")
            #expect(try Self.state(empty) == before, "\(command) changed the empty file")
        }
        // init makes it a vault (0600); then the other commands work.
        let initialised = try cli.run(["init", "--kek", kek, "--store", empty])
        #expect(initialised.status == 0, "stderr: \(initialised.stderr)")
        #expect(try Self.state(empty).mode == 0o600)
        #expect(try cli.run(["workspace", "create", "acme", "--kek", kek, "--store", empty]).status == 0)
    }
}
