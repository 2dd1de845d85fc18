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
enum SQLiteCoding: StoreColumnCoding {
    /// `date` in microseconds, clamped into ``StoredTime``'s range (never traps).
    static func micros(_ date: Date) -> Int64 {
        StoredTime.micros(date)
    }

    /// The stored microseconds as a date, clamped into ``StoredTime``'s range (never traps).
    static func date(micros: Int64) -> Date {
        StoredTime.date(micros: micros)
    }

    static func optionalMicros(_ date: Date?) -> Int64? {
        date.map(micros)
    }

    /// The date in `column` at `index`, nil for NULL.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when the column does not hold an integer.
    static func optionalDate(_ row: Row, _ index: Int, _ column: String) throws -> Date? {
        try row.checkedOptional(index, column, as: Int64.self).map { date(micros: $0) }
    }

    static func bytes(_ row: Row, _ index: Int) throws -> [UInt8] {
        try row.withUnsafeData(atIndex: index) { data in data.map { Array($0) } ?? [] }
    }
}

extension SQLiteCoding {
    /// An audit sequence as an `INTEGER` column value (sequences never reach 2⁶³).
    static func sequenceValue(_ value: UInt64) throws -> Int64 {
        guard let v = Int64(exactly: value) else { throw VaultError.invalidValue("audit sequence \(value) is out of range") }
        return v
    }

    /// An audit sequence read from an `INTEGER` column.
    static func sequence(_ value: Int64) throws -> UInt64 {
        guard let v = UInt64(exactly: value) else { throw VaultError.storeCorrupted("an audit sequence is negative") }
        return v
    }
}
