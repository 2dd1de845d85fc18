import Foundation
import GRDB

/// Reads the columns of a fetched row without ever trapping: GRDB's `row[i]` traps when a
/// stored value has another type than asked (a STRICT table rebuilt by hand, say); these
/// accessors check the SQLite storage class first and throw `damage(column)` on a mismatch
/// or a NULL where a value is required.
struct SQLiteCheckedRow {
    let row: Row
    /// The error for a column that does not decode.
    let damage: (_ column: String) -> any Error

    private func value(_ index: Int) -> DatabaseValue.Storage {
        let value: DatabaseValue = row[index]
        return value.storage
    }

    func integer(_ index: Int, _ column: String) throws -> Int64 {
        guard case .int64(let v) = value(index) else { throw damage(column) }
        return v
    }

    func optionalInteger(_ index: Int, _ column: String) throws -> Int64? {
        switch value(index) {
        case .null: return nil
        case .int64(let v): return v
        default: throw damage(column)
        }
    }

    func text(_ index: Int, _ column: String) throws -> String {
        guard case .string(let v) = value(index) else { throw damage(column) }
        return v
    }

    func optionalText(_ index: Int, _ column: String) throws -> String? {
        switch value(index) {
        case .null: return nil
        case .string(let v): return v
        default: throw damage(column)
        }
    }

    func blob(_ index: Int, _ column: String) throws -> [UInt8] {
        guard case .blob(let v) = value(index) else { throw damage(column) }
        return Array(v)
    }

    /// `transform` of the value, with any error it throws turned into `damage(column)`.
    func checked<T, U>(_ value: T, _ column: String, _ transform: (T) throws -> U) throws -> U {
        do {
            return try transform(value)
        } catch {
            throw damage(column)
        }
    }
}
