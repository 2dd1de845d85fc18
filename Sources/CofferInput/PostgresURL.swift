/// A PostgreSQL store URL, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMETERS]`
/// (scheme `postgres` or `postgresql`, any case), parsed and checked without touching the network.
///
/// - `USER` is required; `PASSWORD` comes from the URL or, when the URL has none, from
///   `PGPASSWORD` in the environment given to the parser. Percent-encoding (`%40` for `@`) is
///   decoded in every part.
/// - `HOST` defaults to `localhost`; an IPv6 address is written in brackets (`[::1]`). `PORT` is
///   1-65535 (default 5432). `DATABASE` defaults to the user name.
/// - Parameters: `schema` (default `coffer`; lowercase letters, digits and `_`, starting with a
///   letter or `_`, at most 63 bytes), `sslmode` (`disable`, `prefer` (default), `require`,
///   `verify-full`), `application_role` (the role migrations grant; maintenance URL only). Each at
///   most once; any other parameter, a fragment, or a control character anywhere is refused.
/// - User, database, role and host names are at most 63 bytes (PostgreSQL would silently
///   truncate longer identifiers) and hold no control characters.
///
/// The password is never part of ``redacted`` or ``description``, and errors never repeat the URL.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (default).
        case prefer
        /// TLS required; the certificate and host name are verified.
        case require
        /// TLS required; the certificate and host name are verified.
        case verifyFull = "verify-full"
    }

    /// The default port, 5432.
    public static let defaultPort = 5432
    /// The default schema, `coffer`.
    public static let defaultSchema = "coffer"

    /// Host name or address (without brackets); `localhost` when the URL has none.
    public var host: String
    /// TCP port, 1-65535.
    public var port: Int
    /// The login role.
    public var user: String
    /// From the URL or `PGPASSWORD`; never printed.
    public var password: String?
    /// The database; the user name when the URL has none.
    public var database: String
    /// The schema holding Coffer's tables.
    public var schema: String
    /// The TLS mode.
    public var sslMode: SSLMode
    /// The `application_role` parameter, if given.
    public var applicationRole: String?

    /// Whether `text` names a PostgreSQL store (scheme `postgres://` or `postgresql://`, any case)
    /// rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Whether `name` is accepted as Coffer's schema name: lowercase letters, digits and `_`,
    /// starting with a letter or `_`, at most 63 bytes.
    public static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard lower.contains(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { lower.contains($0) || digits.contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)?schema=\(schema)"
    }

    /// ``redacted``.
    public var description: String { redacted }

    /// Parses `text`.
    /// - Parameters:
    ///   - text: the URL.
    ///   - environment: where `PGPASSWORD` is looked up when the URL has no password.
    /// - Throws: ``InputError`` saying which part is wrong and what is accepted; the message never
    ///   repeats the URL (it may hold a password).
    public init(parsing text: String, environment: [String: String] = [:]) throws(InputError) {
        let bytes = Array(text.utf8)
        let invalid = InputError("is not a valid postgres://USER@HOST:PORT/DATABASE URL")
        guard let separator = Self.find(Array("://".utf8), in: bytes) else { throw invalid }
        let scheme = String(decoding: bytes[..<separator], as: UTF8.self).lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else { throw invalid }
        var rest = bytes[(separator + 3)...]
        if rest.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: " ") }) {
            throw InputError("must not contain spaces or control characters (percent-encode them)")
        }
        if rest.contains(UInt8(ascii: "#")) { throw InputError("must not have a #fragment") }

        var query: ArraySlice<UInt8> = []
        if let q = rest.firstIndex(of: UInt8(ascii: "?")) {
            query = rest[(q + 1)...]
            rest = rest[..<q]
        }
        var path: ArraySlice<UInt8> = []
        if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
            path = rest[(slash + 1)...]
            rest = rest[..<slash]
        }
        // The authority: USERINFO@HOST[:PORT], split at the last @ (a password may hold an @).
        guard let at = rest.lastIndex(of: UInt8(ascii: "@")) else {
            throw InputError("must name the user: postgres://USER@HOST:PORT/DATABASE")
        }
        let userInfo = rest[..<at]
        let hostPort = rest[(at + 1)...]

        var userPart = userInfo
        var passwordPart: ArraySlice<UInt8>?
        if let colon = userInfo.firstIndex(of: UInt8(ascii: ":")) {
            userPart = userInfo[..<colon]
            passwordPart = userInfo[(colon + 1)...]
        }
        let user = try Self.decode(userPart, what: "the user name")
        guard !user.isEmpty else { throw InputError("must name the user: postgres://USER@HOST:PORT/DATABASE") }
        try Self.checkName(user, what: "the user name")
        self.user = user
        if let passwordPart {
            let password = try Self.decode(passwordPart, what: "the password", allowControl: true)
            guard !password.utf8.contains(0) else { throw InputError("has a NUL byte in the password") }
            self.password = password
        } else {
            password = environment["PGPASSWORD"]
        }

        var hostPart = hostPort
        var portPart: ArraySlice<UInt8>?
        if hostPort.first == UInt8(ascii: "[") {
            guard let close = hostPort.firstIndex(of: UInt8(ascii: "]")) else { throw InputError("has an IPv6 host without its closing ]") }
            hostPart = hostPort[(hostPort.startIndex + 1)..<close]
            let after = hostPort[(close + 1)...]
            if !after.isEmpty {
                guard after.first == UInt8(ascii: ":") else { throw invalid }
                portPart = after.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ Self.isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else {
                throw InputError("has an invalid IPv6 host")
            }
        } else if let colon = hostPort.firstIndex(of: UInt8(ascii: ":")) {
            hostPart = hostPort[..<colon]
            portPart = hostPort[(colon + 1)...]
        }
        let host = try Self.decode(hostPart, what: "the host")
        let forbidden = hostPort.first == UInt8(ascii: "[") ? "" : " /?#@[]:"
        guard host.utf8.count <= 253, !host.unicodeScalars.contains(where: { forbidden.unicodeScalars.contains($0) }) else {
            throw InputError("has an invalid host name")
        }
        self.host = host.isEmpty ? "localhost" : host
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(Self.isDigit),
                  let port = Int(String(decoding: portPart, as: UTF8.self)), (1...65_535).contains(port)
            else { throw InputError("must have a port between 1 and 65535") }
            self.port = port
        } else {
            port = Self.defaultPort
        }

        guard !path.contains(UInt8(ascii: "/")) else { throw InputError("must name one database: postgres://USER@HOST:PORT/DATABASE") }
        let database = try Self.decode(path, what: "the database name")
        try Self.checkName(database, what: "the database name")
        self.database = database.isEmpty ? user : database

        var schema: String?, sslMode: SSLMode?, applicationRole: String?
        for item in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let pair = item.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(pair[0], what: "a URL parameter name")
            let value = try Self.decode(pair.count == 2 ? pair[1] : [], what: "a URL parameter value")
            switch name {
            case "schema":
                guard schema == nil else { throw InputError("gives the schema parameter twice") }
                guard Self.isValidSchemaName(value) else {
                    throw InputError("has an invalid schema: use lowercase letters, digits and _, starting with a letter or _, at most 63 bytes")
                }
                schema = value
            case "sslmode":
                guard sslMode == nil else { throw InputError("gives the sslmode parameter twice") }
                guard let mode = SSLMode(rawValue: value) else {
                    throw InputError("has an invalid sslmode: use disable, prefer, require or verify-full")
                }
                sslMode = mode
            case "application_role":
                guard applicationRole == nil else { throw InputError("gives the application_role parameter twice") }
                guard !value.isEmpty else { throw InputError("has an empty application_role") }
                try Self.checkName(value, what: "an application_role")
                applicationRole = value
            default:
                throw InputError("has an unknown URL parameter (known: schema, sslmode, application_role)")
            }
        }
        self.schema = schema ?? Self.defaultSchema
        self.sslMode = sslMode ?? .prefer
        self.applicationRole = applicationRole
    }

    // MARK: Parts

    private static func checkName(_ name: String, what: String) throws(InputError) {
        guard name.utf8.count <= 63 else { throw InputError("has \(what) longer than 63 bytes") }
    }

    /// Percent-decodes `part` into UTF-8 text.
    private static func decode(_ part: ArraySlice<UInt8>, what: String, allowControl: Bool = false) throws(InputError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(part.count)
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < part.endIndex, let high = hexValue(part[index + 1]), let low = hexValue(part[index + 2])
                else { throw InputError("has an invalid percent-encoding in \(what) (use %XX)") }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw InputError("has \(what) that is not UTF-8") }
        if !allowControl, text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            throw InputError("has control characters in \(what)")
        }
        return text
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isHex(_ byte: UInt8) -> Bool { hexValue(byte) != nil }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
