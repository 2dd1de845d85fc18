import CofferInput
import Testing

@Suite("PostgresURL: store URLs checked before any connection")
struct PostgresURLTests {
    @Test("a full URL and its defaults")
    func parts() throws {
        let url = try PostgresURL(parsing: "postgres://app:p%40ss@db.internal:6432/vault?schema=coffer_1&sslmode=require&application_role=grp")
        #expect(url.user == "app")
        #expect(url.password == "p@ss")
        #expect(url.host == "db.internal")
        #expect(url.port == 6432)
        #expect(url.database == "vault")
        #expect(url.schema == "coffer_1")
        #expect(url.sslMode == .require)
        #expect(url.applicationRole == "grp")
        #expect(url.redacted == "postgres://app@db.internal:6432/vault?schema=coffer_1")
        #expect(!url.description.contains("p@ss"))

        let plain = try PostgresURL(parsing: "POSTGRESQL://app@", environment: ["PGPASSWORD": "from-env"])
        #expect(plain.host == "localhost")
        #expect(plain.port == 5432)
        #expect(plain.database == "app")
        #expect(plain.schema == "coffer")
        #expect(plain.sslMode == .prefer)
        #expect(plain.password == "from-env")

        let v6 = try PostgresURL(parsing: "postgres://app@[::1]:5433/db")
        #expect(v6.host == "::1")
        #expect(v6.port == 5433)
        #expect(v6.redacted == "postgres://app@[::1]:5433/db?schema=coffer")
    }

    @Test("ports 1 and 65535 are accepted; 0, 65536, 99999 and non-numbers are not")
    func ports() throws {
        #expect(try PostgresURL(parsing: "postgres://u@h:1/d").port == 1)
        #expect(try PostgresURL(parsing: "postgres://u@h:65535/d").port == 65_535)
        for port in ["0", "65536", "99999", "", "-1", "5432x", "000005432", "１"] {
            let error = #expect(throws: InputError.self) { try PostgresURL(parsing: "postgres://u@h:\(port)/d") }
            #expect(error?.message == "must have a port between 1 and 65535", "port '\(port)'")
        }
    }

    @Test("schema names: lowercase letters, digits and _, at most 63 bytes")
    func schemas() throws {
        let longest = String(repeating: "s", count: 63)
        #expect(try PostgresURL(parsing: "postgres://u@h/d?schema=\(longest)").schema == longest)
        #expect(try PostgresURL(parsing: "postgres://u@h/d?schema=_a1").schema == "_a1")
        for schema in [longest + "s", "", "Coffer", "1abc", "a-b", "a%22b", "a%20b", "caf%C3%A9"] {
            let error = #expect(throws: InputError.self) { try PostgresURL(parsing: "postgres://u@h/d?schema=\(schema)") }
            #expect(error?.message.hasPrefix("has an invalid schema") == true, "schema '\(schema)'")
        }
    }

    @Test("malformed URLs are refused without repeating them", arguments: [
        "postgres://h/d", "mysql://u@h/d", "postgres:/u@h/d", "postgres://:pw@h/d", "postgres://u@h/d?sslmode=maybe",
        "postgres://u@h/d?nope=1", "postgres://u@h/d?schema=a&schema=b", "postgres://u@h/d#XYZZY", "postgres://u@h/a/b",
        "postgres://u@h/d%zz", "postgres://u@h/d%C3", "postgres://u@h/d%0A", "postgres://u@h:5432:1/d", "postgres://u@[::1/d",
        "postgres://u@[zz]/d", "postgres://u@h/d?application_role=", "postgres://u\n@h/d", "postgres://u@h h/d",
        "postgres://u:SECRET%00X@h/d",
    ])
    func malformed(text: String) {
        let error = #expect(throws: InputError.self) { try PostgresURL(parsing: text) }
        #expect(error?.message.contains("SECRET") == false)
        #expect(error?.message.contains("XYZZY") == false)
    }

    @Test("names longer than PostgreSQL keeps (63 bytes) are refused")
    func longNames() throws {
        let name = String(repeating: "n", count: 63)
        #expect(try PostgresURL(parsing: "postgres://\(name)@h/\(name)").database == name)
        #expect(throws: InputError.self) { try PostgresURL(parsing: "postgres://\(name)n@h/d") }
        #expect(throws: InputError.self) { try PostgresURL(parsing: "postgres://u@h/\(name)n") }
    }

    @Test("which texts are PostgreSQL URLs")
    func isPostgres() {
        #expect(PostgresURL.isPostgres("postgres://u@h/d"))
        #expect(PostgresURL.isPostgres("PostgreSQL://u@h/d"))
        #expect(!PostgresURL.isPostgres("/var/lib/coffer/vault.db"))
    }
}
