/// A stored audit row (record, head, checkpoint or audit key) that cannot be decoded: a column
/// has the wrong type, is NULL, or holds a value out of range. Stores throw it from
/// ``LifecycleSecretStore/readAuditSnapshot(pageSize:state:records:)`` so that
/// ``Vault/verifyAudit()`` reports tampering naming the row; their other audit reads turn it
/// into ``VaultError/storeCorrupted(_:)``. Never carries a stored value.
public struct AuditRowDamage: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which row.
    public enum Row: Sendable, Hashable {
        /// Audit record `sequence` (nil when the sequence itself cannot be read).
        case record(UInt64?)
        /// The audit chain head row.
        case head
        /// The retention checkpoint row.
        case checkpoint
        /// Audit key `version` (nil when the version itself cannot be read).
        case key(UInt32?)
    }

    /// Which row does not decode.
    public var row: Row
    /// The column that does not decode.
    public var column: String

    /// Makes a damage report for `column` (the stored column name, e.g. `mac`) of `row`.
    public init(_ row: Row, column: String) {
        self.row = row
        self.column = column
    }

    /// The row in words: "audit record 12", "the audit chain head", …
    public var rowDescription: String {
        switch row {
        case .record(let s?): return "audit record \(s)"
        case .record(nil): return "an audit record"
        case .head: return "the audit chain head"
        case .checkpoint: return "the audit retention checkpoint"
        case .key(let v?): return "audit key version \(v)"
        case .key(nil): return "an audit key"
        }
    }

    public var description: String {
        "\(rowDescription) is damaged: its \(column) column has the wrong type or an out-of-range value"
    }

    /// The same, as ``VaultError/storeCorrupted(_:)``, for reads other than verification.
    public var storeError: VaultError {
        .storeCorrupted("\(description); run `coffer audit verify`")
    }
}
