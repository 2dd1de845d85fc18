import Coffer
import Foundation
import NIOCore
import PostgresNIO

/// How Coffer values are written into PostgreSQL columns (the same conventions as the SQLite
/// store, so the two are interchangeable):
///
/// - dates are `bigint` microseconds since 1970-01-01T00:00:00Z;
/// - versions are `bigint` (Swift `UInt32`, range-checked when read);
/// - sealed values and wrapped keys are `bytea`;
/// - labels are `jsonb` objects of strings (sent and read as text);
/// - KEK identifiers are their text form `kek-…`.
enum PostgresCoding: StoreColumnCoding {
    /// `date` in microseconds, clamped into ``StoredTime``'s range (never traps).
    static func micros(_ date: Date) -> Int64 {
        StoredTime.micros(date)
    }

    /// The stored microseconds as a date, clamped into ``StoredTime``'s range (never traps).
    static func date(micros: Int64) -> Date {
        StoredTime.date(micros: micros)
    }

    static func bytes(_ value: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: value)
    }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] {
        Array(buffer.readableBytesView)
    }

    static func count(_ value: Int64, what: String) throws -> UInt64 {
        guard let v = UInt64(exactly: value) else {
            throw VaultError.storeCorrupted("\(what) is negative")
        }
        return v
    }

    /// An audit sequence number for a `bigint` column, range-checked.
    static func sequenceValue(_ value: UInt64) throws -> Int64 {
        guard let v = Int64(exactly: value) else { throw VaultError.invalidValue("audit sequence \(value) is out of range") }
        return v
    }

    /// A quoted SQL identifier (`"name"`, inner quotes doubled).
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
