import Coffer
import GRDB

/// Checked reading of stored columns. GRDB's `row[index]` subscripts trap when a value does not
/// convert to the requested type (a column edited to text, a real where an integer belongs);
/// these read the raw `DatabaseValue` and convert it without trapping, so a damaged row is
/// ``VaultError/storeCorrupted(_:)`` (exit 69) naming the column, never a crash.
extension Row {
    /// The non-NULL value of `column` at `index`.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when it is NULL or of another type.
    func checked<Value: DatabaseValueConvertible>(_ index: Int, _ column: String, as type: Value.Type = Value.self) throws -> Value {
        let raw: DatabaseValue = self[index]
        guard let value = Value.fromDatabaseValue(raw) else {
            throw Self.damaged(column, raw)
        }
        return value
    }

    /// The value of `column` at `index`, nil for NULL.
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when it is of another type.
    func checkedOptional<Value: DatabaseValueConvertible>(_ index: Int, _ column: String, as type: Value.Type = Value.self) throws -> Value? {
        let raw: DatabaseValue = self[index]
        if raw.isNull { return nil }
        guard let value = Value.fromDatabaseValue(raw) else {
            throw Self.damaged(column, raw)
        }
        return value
    }

    /// The blob of `column` at `index` (empty for NULL or an empty blob).
    /// - Throws: ``VaultError/storeCorrupted(_:)`` when it is not a blob.
    func checkedBytes(_ index: Int, _ column: String) throws -> [UInt8] {
        let raw: DatabaseValue = self[index]
        switch raw.storage {
        case .null: return []
        case .blob(let data): return Array(data)
        default: throw Self.damaged(column, raw)
        }
    }

    /// The error for a stored value of the wrong type; it names the column and the stored
    /// type, never the value (which could be sealed data).
    static func damaged(_ column: String, _ raw: DatabaseValue) -> VaultError {
        let stored: String
        switch raw.storage {
        case .null: stored = "NULL"
        case .int64: stored = "an integer"
        case .double: stored = "a real number"
        case .string: stored = "text"
        case .blob: stored = "a blob"
        }
        return VaultError.storeCorrupted("column \(column) holds \(stored) where Coffer expects another type: the database is damaged; restore it from a backup")
    }
}
