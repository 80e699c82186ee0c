// Read access to a statement's result: a collection of rows whose columns decode to Swift types.

internal import CLibPQ

/// Owns a libpq result and frees it when the last `Rows` or `Row` referring to it goes away.
final class ResultStorage {
    let result: OpaquePointer
    /// The column after the last one read by name: readers mostly go in select-list order, so
    /// this is tried first (a comparison instead of a hash lookup).
    var nextColumn = 0
    /// Column positions by name (the first, if a name repeats), made when a read misses the guess.
    private var positions: [String: Int]?

    /// Where `column` is in `columns` (this result's names), or nil if it is not there.
    func position(of column: String, in columns: [String]) -> Int? {
        let guess = nextColumn < columns.count ? nextColumn : 0
        var found: Int?
        if guess < columns.count, columns[guess] == column {
            found = guess
        } else {
            if positions == nil { positions = Dictionary(columns.enumerated().map { ($1, $0) }) { first, _ in first } }
            found = positions?[column]
        }
        if let found { nextColumn = found + 1 }
        return found
    }

    init(_ result: OpaquePointer) {
        self.result = result
    }

    deinit {
        PQclear(result)
    }
}

/// The result of `Connection.query`: its rows (possibly none), column names and affected-row count.
///
/// Values are read straight out of libpq's result buffer when asked for, so selecting a column
/// you never read costs nothing. A `Rows` stays valid after the connection runs other statements.
public struct Rows: RandomAccessCollection {
    let storage: ResultStorage

    /// Column names, in the order of the select list.
    public let columns: [String]

    /// Rows inserted, updated, deleted, selected, … as the server reported them (`PQcmdTuples`);
    /// 0 for statements that report no count.
    public let affectedRows: Int

    /// Number of rows returned.
    public let count: Int

    init(_ result: OpaquePointer) {
        storage = ResultStorage(result)
        let fields = Int(PQnfields(result))
        columns = (0..<fields).map { String(cString: PQfname(result, Int32($0))) }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
        count = Int(PQntuples(result))
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Row {
        precondition(position >= 0 && position < count, "row index \(position) out of range 0..<\(count)")
        return Row(rows: self, index: position)
    }
}

/// One row of a `Rows` result.
public struct Row {
    let rows: Rows
    /// This row's position in its result.
    public let index: Int

    /// Column names, in the order of the select list.
    public var columns: [String] { rows.columns }

    /// Decodes the named column. `NULL` decodes as `nil` when `T` is an `Optional`, and throws a
    /// `.decoding` error otherwise, as does a missing column or malformed text.
    public func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let position = rows.storage.position(of: column, in: rows.columns) else {
            throw PostgresError(kind: .decoding, message: "no column named \"\(column)\" in the result (columns: \(rows.columns.joined(separator: ", ")))")
        }
        return try decode(position, name: column, as: type)
    }

    /// Decodes the column at `column` (0-based, in select-list order). Same rules as `get(_:as:)` by name.
    public func get<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        guard column >= 0 && column < rows.columns.count else {
            throw PostgresError(kind: .decoding, message: "column index \(column) out of range 0..<\(rows.columns.count)")
        }
        return try decode(column, name: rows.columns[column], as: type)
    }

    /// Appends every column's value as libpq holds it (each as its length, or -1 for NULL, then
    /// its bytes), decoding nothing: equal keys mean equal rows, for caching what a row renders.
    public func appendRawValues(to key: inout [UInt8]) {
        let result = rows.storage.result
        let row = Int32(index)
        for column in 0..<Int32(rows.columns.count) {
            let length = PQgetisnull(result, row, column) == 1 ? -1 : PQgetlength(result, row, column)
            withUnsafeBytes(of: length.littleEndian) { key.append(contentsOf: $0) }
            guard length > 0, let value = PQgetvalue(result, row, column) else { continue }
            value.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                key.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(length)))
            }
        }
    }

    /// Whether the named column is SQL `NULL` in this row (false if there is no such column).
    public func isNull(_ column: String) -> Bool {
        guard let position = rows.storage.position(of: column, in: rows.columns) else { return false }
        return PQgetisnull(rows.storage.result, Int32(index), Int32(position)) == 1
    }

    private func decode<T: PostgresDecodable>(_ position: Int, name: String, as type: T.Type) throws -> T {
        let result = rows.storage.result
        let row = Int32(index), col = Int32(position)
        if PQgetisnull(result, row, col) == 1 {
            if let nullable = T.self as? PostgresNullDecodable.Type, let value = nullable.postgresNull as? T {
                return value
            }
            throw PostgresError(kind: .decoding, message: "column \"\(name)\" is NULL; decode it as \(T.self)? to accept NULL")
        }
        let length = Int(PQgetlength(result, row, col))
        do {
            return try PQgetvalue(result, row, col).withMemoryRebound(to: UInt8.self, capacity: length) {
                try T(postgresBytes: UnsafeBufferPointer(start: $0, count: length))
            }
        } catch let error as PostgresError {
            throw PostgresError(kind: .decoding, message: "column \"\(name)\": \(error.message)")
        }
    }
}
