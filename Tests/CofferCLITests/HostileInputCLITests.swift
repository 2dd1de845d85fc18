import Foundation
import GRDB
import Testing

/// Issue 10, sections 1 and 5: numbers, durations, dates and URLs from flags, environment
/// variables and stored rows are range-checked before any conversion. Out of range from the
/// command line is exit 64 naming the accepted range; a damaged stored row is exit 69; nothing
/// traps (exit 132 / a signal) and control characters never reach the terminal.
@Suite struct HostileInputCLITests {
    typealias Env = VaultCLITests.Env

    /// Asserts a clean usage error: exit 64, one message naming `mentions`, nothing on stdout.
    static func expectUsage(_ r: CLIRunner.Result, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 64, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(r.stderr.contains(text), "stderr should name '\(text)': \(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    /// Asserts a damaged-store error: exit 69 naming `mentions`, never a crash.
    static func expectDamaged(_ r: CLIRunner.Result, mentions: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 69, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(mentions), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    }

    @Test func durationFlagsAndVariablesOutOfRangeAreUsageErrors() throws {
        let e = try Env().initialised()
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("v".utf8)).status == 0)
        let before = try e.storeBytes()

        Self.expectUsage(try e.run(["purge"], ["--grace", "1e16s"]), mentions: ["--grace", "36500d"])
        Self.expectUsage(try e.run(["purge"], ["--grace", "36500.000000001d"]), mentions: ["--grace", "between 0s and 36500d"])
        Self.expectUsage(
            try e.run(["list"], ["acme"], env: ["COFFER_DELETION_GRACE": "1e300d"]), mentions: ["COFFER_DELETION_GRACE", "36500d"])
        Self.expectUsage(
            try e.run(["purge"], env: ["COFFER_AUDIT_RETENTION": "1e15s"]), mentions: ["COFFER_AUDIT_RETENTION", "36500d"])
        Self.expectUsage(
            try e.run(["get"], ["acme", "tok"], env: ["COFFER_AUDIT_RETENTION": "-5d"]), mentions: ["COFFER_AUDIT_RETENTION"])
        #expect(try e.storeBytes() == before)

        // The longest accepted values work.
        let longest = try e.run(["purge"], ["--grace", "36500d"], env: ["COFFER_AUDIT_RETENTION": "3153600000s"])
        #expect(longest.status == 0, "stderr: \(longest.stderr)")
        let list = try e.run(["list"], ["acme"], env: ["COFFER_DELETION_GRACE": "5214.2857w"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
    }

    @Test func policyMaxAgeIsRangeCheckedAndStatusKeepsWorking() throws {
        let e = try Env().initialised()
        Self.expectUsage(try e.run(["policy"], ["acme", "--max-age", "1e300d"]), mentions: ["--max-age", "36500d"])
        Self.expectUsage(try e.run(["policy"], ["acme", "--max-age", "36501d"]), mentions: ["--max-age", "36500d"])
        Self.expectUsage(try e.run(["policy"], ["acme", "--max-encryptions", "4294967297"]), mentions: ["4294967296"])
        let status = try e.run(["status"])
        #expect(status.status == 0, "stderr: \(status.stderr)")

        let longest = try e.run(["policy"], ["acme", "--max-age", "36500d"])
        #expect(longest.status == 0, "stderr: \(longest.stderr)")
        #expect(longest.stdoutText.contains("max-age 36500d"))
        #expect(try e.run(["status"]).status == 0)
    }

    @Test func reencryptRateAndBatchAreRangeChecked() throws {
        let e = try Env().initialised()
        for i in 0..<3 { #expect(try e.run(["put"], ["acme", "s\(i)"], stdin: Data("v\(i)".utf8)).status == 0) }
        #expect(try e.run(["rotate"], ["acme"]).status == 0)
        Self.expectUsage(try e.run(["reencrypt"], ["acme", "--rate", "1e-300", "--batch", "1"]), mentions: ["--rate", "0.001", "1000000000"])
        Self.expectUsage(try e.run(["reencrypt"], ["acme", "--rate", "nan"]), mentions: ["--rate"])
        Self.expectUsage(try e.run(["reencrypt"], ["acme", "--batch", "100001"]), mentions: ["--batch", "100000"])
        Self.expectUsage(try e.run(["purge"], ["--batch", "0"]), mentions: ["--batch", "between 1 and 100000"])
        Self.expectUsage(try e.run(["audit", "list"], ["--limit", "1000001"]), mentions: ["--limit", "1000000"])
        Self.expectUsage(try e.run(["audit", "list"], ["--after", "18446744073709551615"]), mentions: ["--after"])
        let fast = try e.run(["reencrypt"], ["acme", "--rate", "1000000000", "--batch", "1"])
        #expect(fast.status == 0, "stderr: \(fast.stderr)")
    }

    @Test func versionsOutOfRangeNameTheRange() throws {
        let e = try Env().initialised()
        Self.expectUsage(try e.run(["get"], ["acme", "tok", "--version", "4294967296"]), mentions: ["--version", "between 1 and 4294967295"])
        Self.expectUsage(try e.run(["get"], ["acme", "tok", "--version", "0"]), mentions: ["between 1 and 4294967295"])
        Self.expectUsage(
            try e.run(["put"], ["acme", "tok", "--expect-version", "4294967296"], stdin: Data("v".utf8)), mentions: ["between 0 and 4294967295"])
        Self.expectUsage(try e.run(["retire"], ["acme", "--below", "99999999999"]), mentions: ["between 1 and 4294967295"])
        let last = try e.run(["get"], ["acme", "tok", "--version", "4294967295"])
        #expect(last.status == 66, "the largest version is accepted (and not found): \(last.stderr)")
    }

    @Test func datesAreRealCalendarDatesInRange() throws {
        let e = try Env().initialised()
        for bad in ["2026-02-30T00:00:00Z", "2026-01-01T00:00:00+14:30", "99999-01-01T00:00:00Z", "2026-01-01T00:00:00-23:59"] {
            Self.expectUsage(
                try e.run(["put"], ["acme", "tok", "--expires-at", bad], stdin: Data("v".utf8)), mentions: ["--expires-at"])
            Self.expectUsage(try e.run(["audit", "list"], ["--since", bad]), mentions: ["--since"])
        }
        let leap = try e.run(["put"], ["acme", "tok", "--expires-at", "2028-02-29T23:59:59+14:00", "--json"], stdin: Data("v".utf8))
        #expect(leap.status == 0, "stderr: \(leap.stderr)")
        #expect(leap.stdoutText.contains("2028-02-29T09:59:59Z"), "\(leap.stdoutText)")
        let last = try e.run(["put"], ["acme", "tok2", "--expires-at", "9999-12-31T23:59:59Z"], stdin: Data("v".utf8))
        #expect(last.status == 0, "stderr: \(last.stderr)")
        let list = try e.run(["list"], ["acme"])
        #expect(list.status == 0)
        #expect(list.stdoutText.contains("9999-12-31T23:59:59Z"))
    }

    @Test func postgresURLsWithBadPortsOrSchemasFailAtOnce() throws {
        let e = try Env()
        for url in ["postgres://u@127.0.0.1:0/db", "postgres://u@127.0.0.1:99999/db", "postgres://u@127.0.0.1:5432/db?schema=Bad-Name",
                    "postgres://u:SECRET-PW@127.0.0.1:5432/db?schema=x%22y"] {
            let start = Date()
            let r = try e.cli.run(["list", "acme", "--kek", e.kek, "--store", url])
            #expect(Date().timeIntervalSince(start) < 5, "refused before any connection attempt")
            Self.expectUsage(r, mentions: ["--store"])
            #expect(!r.stderr.contains("SECRET-PW"))
        }
        Self.expectUsage(try e.cli.run(["list", "acme", "--kek", e.kek, "--store", "postgres://u@h:0/db"]), mentions: ["between 1 and 65535"])
    }

    @Test func controlCharactersAreEscapedInTextOutput() throws {
        let e = try Env().initialised()
        let hostile = "x\u{1B}]0;pwned\u{07}\u{1B}[2J\ny"
        let put = try e.run(["put"], ["acme", "tok", "--label", "note=\(hostile)", "--content-type", "text/\u{1B}[31mred"], stdin: Data("v".utf8))
        #expect(put.status == 0, "stderr: \(put.stderr)")
        let list = try e.run(["list"], ["acme"])
        #expect(list.status == 0)
        #expect(!list.stdout.contains(0x1B), "no ESC reaches the terminal: \(list.stdoutText)")
        #expect(!list.stdout.contains(0x07))
        #expect(list.stdoutText.contains("x\\u{1B}]0;pwned\\u{7}\\u{1B}[2J\\u{A}y"))
        #expect(list.stdoutText.split(separator: "\n").count == 2, "header and one row: \(list.stdoutText)")

        let audit = try e.run(["audit", "list"], [], env: ["COFFER_ACTOR": "evil\u{1B}[2Jactor"])
        #expect(audit.status == 0)
        #expect(!audit.stdout.contains(0x1B))

        // JSON output escapes them as JSON does.
        let json = try e.run(["list"], ["acme", "--json"])
        #expect(json.status == 0)
        #expect(!json.stdout.contains(0x1B))
        #expect(!json.stdout.contains(0x07))
        #expect(json.stdoutText.contains("\\u001b"))

        // Errors quoting user text are escaped too.
        let missing = try e.run(["get"], ["acme", "tok", "--version", "7"], env: ["COFFER_ACTOR": "a\u{1B}b"])
        #expect(missing.status == 66)
        #expect(!missing.stderr.contains("\u{1B}"))
    }

    // MARK: Damaged stored rows

    /// Runs `sql` on the vault's database after dropping `STRICT` from the named tables (as
    /// someone with write access to the file can), so a column can hold a value of any type.
    static func damage(_ e: Env, loosening tables: [String] = [], _ sql: String) throws {
        let db = try DatabaseQueue(path: e.store)
        if !tables.isEmpty {
            try db.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA writable_schema = ON")
                for table in tables {
                    try db.execute(
                        sql: "UPDATE sqlite_schema SET sql = replace(replace(sql, ') STRICT, WITHOUT ROWID', ') WITHOUT ROWID'), ') STRICT', ')') WHERE name = ?",
                        arguments: [table])
                }
                try db.execute(sql: "PRAGMA writable_schema = OFF")
            }
        }
        try db.close()
        let reopened = try DatabaseQueue(path: e.store)
        try reopened.write { db in try db.execute(sql: sql) }
        try reopened.close()
    }

    @Test func rowsOfTheWrongTypeAreADamagedStoreNotACrash() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex", "initech"])
        for ws in ["acme", "globex", "initech"] {
            #expect(try e.run(["put"], [ws, "tok"], stdin: Data("v".utf8)).status == 0)
        }
        try Self.damage(e, loosening: ["secret_versions", "workspaces", "data_keys"], """
            UPDATE secret_versions SET version = 'one' WHERE workspace_id = 'acme';
            UPDATE secret_versions SET created_at = 'yesterday' WHERE workspace_id = 'globex';
            UPDATE data_keys SET encryption_count = 'many' WHERE workspace_id = 'initech';
            """)
        Self.expectDamaged(try e.run(["list"], ["acme"]), mentions: "damaged")
        Self.expectDamaged(try e.run(["get"], ["acme", "tok"]), mentions: "damaged")
        Self.expectDamaged(try e.run(["history"], ["acme", "tok"]), mentions: "damaged")
        Self.expectDamaged(try e.run(["get"], ["globex", "tok"]), mentions: "created_at")
        Self.expectDamaged(try e.run(["list"], ["globex"]), mentions: "created_at")
        Self.expectDamaged(try e.run(["status"]), mentions: "encryption_count")

        try Self.damage(e, "UPDATE workspaces SET created_at = x'00ff' WHERE id = 'acme'")
        Self.expectDamaged(try e.run(["workspace", "list"]), mentions: "workspaces.created_at")
    }

    @Test func aDamagedMigrationsTableIsADamagedStoreWithoutSQL() throws {
        for damage in [
            "DROP TABLE grdb_migrations; CREATE TABLE grdb_migrations(identifier TEXT); INSERT INTO grdb_migrations VALUES ('v1'), ('v2'), ('v3'), (NULL)",
            "DELETE FROM grdb_migrations WHERE identifier = 'v3'",
            "DELETE FROM grdb_migrations",
        ] {
            let e = try Env().initialised()
            try Self.damage(e, damage)
            let r = try e.run(["list"], ["acme"])
            Self.expectDamaged(r, mentions: "grdb_migrations")
            #expect(!r.stderr.contains("SELECT") && !r.stderr.contains("sql:"), "no SQL in the message: \(r.stderr)")
        }
    }

    @Test func storedIntegersOutOfRangeNeverCrashAReader() throws {
        let e = try Env().initialised(workspaces: ["acme", "globex"])
        #expect(try e.run(["put"], ["acme", "tok"], stdin: Data("v".utf8)).status == 0)
        #expect(try e.run(["put"], ["globex", "tok"], stdin: Data("v".utf8)).status == 0)
        try Self.damage(e, """
            UPDATE secret_versions SET created_at = 9223372036854775807, expires_at = -9223372036854775808 WHERE workspace_id = 'acme';
            UPDATE workspaces SET max_dek_age_seconds = 1e300 WHERE id = 'globex';
            """)
        // Times outside 0001...9999 read as the nearest end of that range.
        let list = try e.run(["list"], ["acme"])
        #expect(list.status == 0, "stderr: \(list.stderr)")
        #expect(list.stdoutText.contains("9999-12-31T23:59:59Z"))
        let export = try e.run(["export"], ["acme", "--plaintext"])
        #expect(export.status == 0, "stderr: \(export.stderr)")
        #expect(export.stdoutText.contains("9999-12-31T23:59:59.999999Z"))

        // A rotation policy out of range is a damaged store until cleared.
        Self.expectDamaged(try e.run(["status"]), mentions: "coffer policy globex --clear")
        Self.expectDamaged(try e.run(["policy"], ["globex"]), mentions: "rotation policy")
        let clear = try e.run(["policy"], ["globex", "--clear"])
        #expect(clear.status == 0, "stderr: \(clear.stderr)")
        #expect(try e.run(["status"]).status == 0)

        try Self.damage(e, "UPDATE secret_versions SET version = 4294967296 WHERE workspace_id = 'globex'")
        Self.expectDamaged(try e.run(["list"], ["globex"]), mentions: "out of range")
    }
}
