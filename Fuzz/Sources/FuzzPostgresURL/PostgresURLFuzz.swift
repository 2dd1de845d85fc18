import CofferInput
import FuzzSupport

/// PostgreSQL store URLs (`--store postgres://...`, `COFFER_STORE`) through
/// `PostgresURL(parsing:environment:)`.
///
/// Invariants: a parsed URL has a port in 1...65535, a valid schema name and a non-empty user;
/// `redacted` and `description` never show the password.
enum PostgresURLFuzz {
    static func run(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: text, environment: ["PGPASSWORD": "env-password-\u{7}"])
        } catch {
            return
        }
        Fuzz.require((1...65535).contains(url.port), "a port outside 1...65535")
        Fuzz.require(PostgresURL.isValidSchemaName(url.schema), "an invalid schema name")
        Fuzz.require(!url.user.isEmpty, "an empty user")
        if let password = url.password, !password.isEmpty {
            // Only meaningful when the password has a character no other part of the text shows.
            let others = Set("\(url.user)\(url.host)\(url.port)\(url.database)\(url.schema)postgres://@:/?schema=[]".unicodeScalars)
            if password.unicodeScalars.contains(where: { !others.contains($0) }) {
                Fuzz.require(!Fuzz.containsBytes(url.redacted, password), "redacted shows the password")
                Fuzz.require(!Fuzz.containsBytes(url.description, password), "description shows the password")
            }
        }
    }

    static func seeds() throws -> [[UInt8]] {
        ["postgres://coffer_app:s3cret%40x@db.example.com:5432/vault?schema=coffer&sslmode=verify-full",
         "postgresql://maint@localhost/coffer?schema=tenant_a&application_role=coffer_app&sslmode=disable",
         "postgres://u@[::1]:65535/d", "postgres://u@h:0/d", "postgres://u@h:99999/d", "postgres://u:p@h/d?schema=Bad-Name",
         "postgres://%75ser@host/db%2Fx"].map { Array($0.utf8) }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.initialize(seeds: PostgresURLFuzz.seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PostgresURLFuzz.run(Fuzz.bytes(data, size))
    return 0
}
