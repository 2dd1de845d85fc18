import Coffer
import Foundation
import GRDB

/// Reads the columns of a fetched audit row without ever trapping (through ``Row``'s checked
/// accessors) and reports a column that does not decode as `damage(column)`: a wrong type, a
/// NULL where a value is required, or a value `checked(_:_:_:)` rejects.
struct SQLiteCheckedRow {
    let row: Row
    /// The error for a column that does not decode.
    let damage: (_ column: String) -> any Error

    private func mapped<T>(_ column: String, _ read: () throws -> T) throws -> T {
        do {
            return try read()
        } catch {
            throw damage(column)
        }
    }

    func integer(_ index: Int, _ column: String) throws -> Int64 {
        try mapped(column) { try row.checked(index, column, as: Int64.self) }
    }

    func optionalInteger(_ index: Int, _ column: String) throws -> Int64? {
        try mapped(column) { try row.checkedOptional(index, column, as: Int64.self) }
    }

    func text(_ index: Int, _ column: String) throws -> String {
        try mapped(column) { try row.checked(index, column, as: String.self) }
    }

    func optionalText(_ index: Int, _ column: String) throws -> String? {
        try mapped(column) { try row.checkedOptional(index, column, as: String.self) }
    }

    /// A non-NULL blob.
    func blob(_ index: Int, _ column: String) throws -> [UInt8] {
        let raw: DatabaseValue = row[index]
        if raw.isNull { throw damage(column) }
        return try mapped(column) { try row.checkedBytes(index, column) }
    }

    /// `transform` of the value, with any error it throws turned into `damage(column)`.
    func checked<T, U>(_ value: T, _ column: String, _ transform: (T) throws -> U) throws -> U {
        try mapped(column) { try transform(value) }
    }
}
