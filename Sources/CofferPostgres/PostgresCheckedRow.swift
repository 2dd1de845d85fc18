import PostgresNIO

/// Decodes the cells of a row one by one, turning any decoding failure (a column of another
/// type, a NULL where a value is required, a value out of range) into `damage(column)`.
struct PostgresCheckedRow {
    let cells: [PostgresCell]
    /// The error for a column that does not decode.
    let damage: (_ column: String) -> any Error

    init(_ row: PostgresRow, damage: @escaping (_ column: String) -> any Error) {
        self.cells = Array(row)
        self.damage = damage
    }

    func decode<T: PostgresDecodable>(_ index: Int, _ column: String, as type: T.Type = T.self) throws -> T {
        guard cells.indices.contains(index) else { throw damage(column) }
        do {
            return try cells[index].decode(T.self)
        } catch {
            throw damage(column)
        }
    }

    /// Column `index` decoded as `T`, then `transform`ed; any failure is `damage(column)`.
    func decode<T: PostgresDecodable, U>(_ index: Int, _ column: String, as type: T.Type = T.self, _ transform: (T) throws -> U) throws -> U {
        let value = try decode(index, column, as: T.self)
        do {
            return try transform(value)
        } catch {
            throw damage(column)
        }
    }
}
