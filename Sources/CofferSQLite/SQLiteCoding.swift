import Coffer
import Foundation
import GRDB

/// How values that have no native SQLite type are written into columns.
///
/// - Dates are `INTEGER` microseconds since 1970-01-01T00:00:00Z (the same precision as a
///   PostgreSQL `timestamptz`), so they sort and compare in SQL and round-trip within 1 µs.
/// - Labels are a JSON object with sorted keys (`TEXT`, `'{}'` when empty), queryable with
///   SQLite's JSON functions.
/// - KEK identifiers are their text form `kek-…`.
enum SQLiteCoding {
    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    static func optionalMicros(_ date: Date?) -> Int64? {
        date.map(micros)
    }

    static func optionalDate(_ row: Row, _ index: Int) -> Date? {
        let v: Int64? = row[index]
        return v.map { date(micros: $0) }
    }

    static func labelsJSON(_ labels: [String: String]) throws -> String {
        if labels.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(labels), as: UTF8.self)
    }

    static func labels(json: String) throws -> [String: String] {
        if json == "{}" { return [:] }
        do {
            return try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw VaultError.storeCorrupted("labels column does not hold a JSON object of strings")
        }
    }

    static func kind(_ text: String) throws -> SecretKind {
        guard let kind = SecretKind(rawValue: text) else {
            throw VaultError.storeCorrupted("unknown secret kind '\(text)' (written by a newer Coffer?)")
        }
        return kind
    }

    static func version(_ value: Int64) throws -> UInt32 {
        guard let v = UInt32(exactly: value) else {
            throw VaultError.storeCorrupted("version number \(value) is out of range")
        }
        return v
    }

    static func bytes(_ row: Row, _ index: Int) throws -> [UInt8] {
        try row.withUnsafeData(atIndex: index) { data in data.map { Array($0) } ?? [] }
    }
}
