public import CofferCrypto
public import Foundation

/// A file of Fernet tokens to import into a workspace (`coffer import --format fernet`), read
/// and opened in memory: one `name<TAB>token` line per secret. See docs/FERNET.md, "Import
/// file".
///
/// Every line is checked and every bad line is reported in ``failures`` with its line number;
/// nothing stops at the first problem, so one run shows everything to fix. A failure's reason
/// never contains the line's text (which may hold a token or a mistyped secret), only what is
/// wrong with it.
public struct FernetImportFile: Sendable {
    /// A line whose token opened: the secret `name` and its plaintext `value`.
    public struct Entry: Sendable {
        /// 1-based line number in the file.
        public var line: Int
        /// The secret name (valid by ``NameRules``).
        public var name: String
        /// The token's plaintext, in memory that is wiped on release.
        public var value: SecretBytes

        /// Makes an entry for line `line` (1-based).
        public init(line: Int, name: String, value: SecretBytes) {
            self.line = line
            self.name = name
            self.value = value
        }
    }

    /// A line that cannot be imported, and why.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// 1-based line number in the file.
        public var line: Int
        /// What is wrong; never contains the token, the name or any plaintext.
        public var reason: String

        /// Makes a failure for line `line` (1-based); `reason` must not contain the line's text.
        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }

        public var description: String { "line \(line): \(reason)" }
    }

    /// The lines that opened, in file order.
    public var entries: [Entry]
    /// The lines that did not, in file order.
    public var failures: [Failure]

    /// Parses `name<TAB>token` lines (UTF-8; `\n` or `\r\n`; blank lines and lines starting with
    /// `#` skipped; a leading UTF-8 byte order mark ignored), opens each token with
    /// `Fernet.open(token:keys:ttl:now:)` (pyca's MultiFernet: the keys are tried in the order
    /// given), validates each name with ``NameRules`` (secret-name rules), and reports every bad
    /// line by line number: not UTF-8, missing tab, no token, invalid name, duplicate name (the
    /// first line with a name is kept, later ones fail), a token that does not open or is
    /// expired, a token that opens to an empty value (Coffer does not store empty values).
    ///
    /// Whitespace around the token is ignored; the name is taken exactly as written.
    ///
    /// - Parameters:
    ///   - data: the file's bytes, as read; not kept (the opened values are copied into
    ///     ``Entry/value``, in wiped memory).
    ///   - keys: Fernet keys to try, in order; at least one.
    ///   - ttl: if given, the tokens' maximum age in seconds at `now` (pyca's `ttl`); tokens more
    ///     than 60 s in the future are then refused too. `nil`: timestamps are not checked.
    ///   - now: the time to check the TTL against.
    /// - Throws: ``VaultError/invalidImport(_:)`` when `keys` is empty or `ttl` is negative;
    ///   a `CofferCryptoError.libraryFailure` if OpenSSL fails. Bad lines never throw.
    public init(contentsOf data: [UInt8], keys: [FernetKey], ttl: Int?, now: Date) throws {
        guard !keys.isEmpty else { throw VaultError.invalidImport("no Fernet key given: pass at least one key to open the tokens with") }
        if let ttl, ttl < 0 { throw VaultError.invalidImport("the Fernet TTL must not be negative") }
        // Clamped into 0001...9999 (StoredTime): an arbitrary `now` cannot trap the conversion.
        let nowSeconds = StoredTime.micros(now) / 1_000_000
        let ttlSeconds = ttl.map { Int64($0) }
        let notOpened = "token does not authenticate with any of the \(keys.count) key\(keys.count == 1 ? "" : "s") or is expired"

        var entries: [Entry] = []
        var failures: [Failure] = []
        var firstLine: [String: Int] = [:]

        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // A final newline ends the last line rather than starting an empty one.
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var bytes = rawLine[...]
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            if index == 0, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            guard let line = String(validating: bytes, as: UTF8.self) else {
                failures.append(Failure(line: number, reason: "line is not valid UTF-8"))
                continue
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("#") { continue }
            guard let tab = line.firstIndex(of: "\t") else {
                failures.append(Failure(line: number, reason: "missing tab: expected a secret name, a tab, then a Fernet token"))
                continue
            }
            let name = String(line[..<tab])
            let token = line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)
            if let problem = NameRules.problem(withSecretName: name) {
                failures.append(Failure(line: number, reason: "invalid name: \(problem)"))
                continue
            }
            if let first = firstLine[name] {
                failures.append(Failure(line: number, reason: "duplicate name: the same secret name is on line \(first)"))
                continue
            }
            firstLine[name] = number
            if token.isEmpty {
                failures.append(Failure(line: number, reason: "no token after the tab"))
                continue
            }
            let value: SecretBytes
            do {
                value = try Fernet.open(token: token, keys: keys, ttl: ttlSeconds, now: nowSeconds)
            } catch CofferCryptoError.authenticationFailed {
                failures.append(Failure(line: number, reason: notOpened))
                continue
            }
            if value.count == 0 {
                failures.append(Failure(line: number, reason: "token opens to an empty value, which Coffer does not store"))
                continue
            }
            entries.append(Entry(line: number, name: name, value: value))
        }
        self.entries = entries
        self.failures = failures
    }
}
