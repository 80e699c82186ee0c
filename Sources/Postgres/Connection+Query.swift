// Running statements: prepared and cached per session, planned each time, or as plain SQL text.

internal import CLibPQ

extension Connection {
    /// Runs one SQL statement with `$1`, `$2`, … bound to `params` (`nil` binds SQL `NULL`) and
    /// returns its rows. The statement is prepared on first use and reused afterwards.
    @discardableResult
    public func query(_ sql: String, _ params: [PostgresEncodable?] = []) throws -> Rows {
        let conn = try ready()
        let values = try Connection.encode(params)
        let autocommit = PQtransactionStatus(conn) == PQTRANS_IDLE
        let name = try prepare(sql, conn)
        do {
            return try executePrepared(name, values, conn)
        } catch let error as PostgresError where Connection.isStaleStatement(error) {
            // The statement is gone (DEALLOCATE ALL, a pooler) or its result type changed under
            // it (a migration altered a table behind `SELECT *`). Nothing ran, so when we were
            // not inside a transaction it is safe to prepare it afresh and try once more.
            forget(sql, conn)
            guard autocommit else { throw error }
            let fresh = try prepare(sql, conn)
            return try executePrepared(fresh, values, conn)
        }
    }

    /// Runs one statement like `query`, but without preparing it: PostgreSQL plans it for these
    /// very values every time. For statements whose best plan depends on the values, such as a
    /// full-text search (a rare word is found through its index, a common one is not), where a
    /// prepared statement could settle on one plan for all.
    @discardableResult
    public func queryPlanningEachTime(_ sql: String, _ params: [PostgresEncodable?] = []) throws -> Rows {
        let conn = try ready()
        let values = try Connection.encode(params)
        let result = Connection.withParameters(values) { params in
            // Unnamed statement, types inferred, text format both ways.
            PQexecParams(conn, sql, Int32(params.count), nil, params.baseAddress, nil, nil, 0)
        }
        return Rows(try check(result, conn))
    }

    /// Runs `statement` the way it asks: prepared, or planned for its values each time.
    @discardableResult
    public func run(_ statement: Statement) throws -> Rows {
        statement.planEachTime ? try queryPlanningEachTime(statement.sql, statement.parameters)
                               : try query(statement.sql, statement.parameters)
    }

    /// Runs several statements in one round trip (libpq's pipeline mode) and returns their rows
    /// statements separated by semicolons (migrations, DDL). Results are discarded.
    public func execute(_ sql: String) throws {
        let conn = try ready()
        PQclear(try check(PQexec(conn, sql), conn))
    }

    // MARK: - Prepared statements

    func prepare(_ sql: String, _ conn: OpaquePointer) throws -> String {
        if let name = statements[sql] { return name }
        statementCounter += 1
        let name = "pictor_\(statementCounter)"
        // Zero declared types: the server infers each parameter's type from the statement.
        PQclear(try check(PQprepare(conn, name, sql, 0, nil), conn))
        statements[sql] = name
        return name
    }

    func forget(_ sql: String, _ conn: OpaquePointer) {
        guard let name = statements.removeValue(forKey: sql) else { return }
        if PQstatus(conn) == CONNECTION_OK, PQtransactionStatus(conn) == PQTRANS_IDLE,
           let result = PQexec(conn, "DEALLOCATE \(name)") {
            PQclear(result)
        }
    }

    static func isStaleStatement(_ error: PostgresError) -> Bool {
        // 26000: prepared statement does not exist. 0A000 at execution of a statement that
        // prepared fine: "cached plan must not change result type".
        error.kind == .query && (error.sqlState == "26000" || error.sqlState == "0A000")
    }

    /// Encodes parameters into one buffer of NUL-terminated strings; `nil` offsets are NULLs.
    static func encode(_ params: [PostgresEncodable?]) throws -> (buffer: [CChar], offsets: [Int?]) {
        var buffer = [CChar]()
        var offsets = [Int?]()
        offsets.reserveCapacity(params.count)
        for (index, param) in params.enumerated() {
            guard let value = param, !value.isPostgresNull else {
                offsets.append(nil)
                continue
            }
            let text = value.postgresText
            // A NUL would silently truncate the C string; PostgreSQL text cannot hold one anyway.
            if text.utf8.contains(0) {
                throw PostgresError(kind: .query, sqlState: "22021",
                                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot store")
            }
            offsets.append(buffer.count)
            buffer.append(contentsOf: text.utf8CString)
        }
        return (buffer, offsets)
    }

    private func executePrepared(_ name: String, _ values: (buffer: [CChar], offsets: [Int?]), _ conn: OpaquePointer) throws -> Rows {
        let result = Connection.withParameters(values) { params in
            // Text format for parameters and results (nil formats, result format 0).
            PQexecPrepared(conn, name, Int32(params.count), params.baseAddress, nil, nil, 0)
        }
        return Rows(try check(result, conn))
    }

    /// Calls `body` with the array libpq takes: a pointer to each parameter's text, NULL for SQL NULL.
    static func withParameters<T>(_ values: (buffer: [CChar], offsets: [Int?]),
                                          _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> T) -> T {
        values.buffer.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = values.offsets.map { offset in offset.map { buffer.baseAddress! + $0 } }
            return pointers.withUnsafeBufferPointer(body)
        }
    }
}
