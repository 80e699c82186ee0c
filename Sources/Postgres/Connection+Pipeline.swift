// Several statements in one round trip, through libpq's pipeline mode.

internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension Connection {
    /// in order. They run in one transaction (or inside the one already open), so they all see
    /// the same data. If one fails, the ones after it are skipped, outside a transaction
    /// nothing of the batch is kept, and the error is thrown.
    ///
    /// A page that needs the visitor's session and a list of their things sends both at once
    /// instead of waiting for the first answer before asking the second question.
    public func pipeline(_ statements: [Statement]) throws -> [Rows] {
        let conn = try ready()
        let autocommit = PQtransactionStatus(conn) == PQTRANS_IDLE
        do {
            return try runPipeline(statements, conn)
        } catch let error as PostgresError where Connection.isStaleStatement(error) {
            // As in `query`: nothing of the batch was kept, so prepare afresh and send it again.
            for statement in statements where !statement.planEachTime { forget(statement.sql, conn) }
            guard autocommit else { throw error }
            return try runPipeline(statements, conn)
        }
    }

    private func runPipeline(_ statements: [Statement], _ conn: OpaquePointer) throws -> [Rows] {
        let values = try statements.map { try Connection.encode($0.parameters) }
        // Preparing is a round trip of its own, needed once per statement and session.
        let names = try statements.map { $0.planEachTime ? nil : try prepare($0.sql, conn) }
        guard PQenterPipelineMode(conn) == 1 else { throw Connection.failure(nil, conn) }
        defer { Connection.leavePipeline(conn) }
        for (index, statement) in statements.enumerated() {
            let sent = Connection.withParameters(values[index]) { params -> Int32 in
                let count = Int32(params.count)
                if let name = names[index] {
                    return PQsendQueryPrepared(conn, name, count, params.baseAddress, nil, nil, 0)
                }
                return PQsendQueryParams(conn, statement.sql, count, nil, params.baseAddress, nil, nil, 0)
            }
            guard sent == 1 else { throw Connection.failure(nil, conn) }
        }
        // The sync ends the batch's implicit transaction, and sends everything queued.
        guard PQpipelineSync(conn) == 1 else { throw Connection.failure(nil, conn) }

        var rows: [Rows] = []
        var firstError: PostgresError?
        for _ in statements {
            // Each statement's answer is one result followed by a nil.
            guard let result = PQgetResult(conn) else { break }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)  // skipped because an earlier statement failed
            } else {
                do { rows.append(Rows(try check(result, conn))) } catch let error as PostgresError { firstError = firstError ?? error }
            }
            while let extra = PQgetResult(conn) { PQclear(extra) }
        }
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if PQstatus(conn) != CONNECTION_OK {
            // The session died mid-batch (its last word may have been an error result).
            self.statements.removeAll()
            throw Connection.failure(nil, conn)
        }
        if let firstError { throw firstError }
        guard rows.count == statements.count else { throw Connection.failure(nil, conn) }
        return rows
    }

    /// Leaves pipeline mode. That fails only while answers are outstanding, after a batch was
    /// cut short while being sent: the session's state is then unknown, so it is cut off and
    /// treated like one the server closed (the next call reconnects, or fails the transaction).
    private static func leavePipeline(_ conn: OpaquePointer) {
        guard PQexitPipelineMode(conn) != 1, PQstatus(conn) == CONNECTION_OK else { return }
        shutdown(PQsocket(conn), Int32(SHUT_RDWR))
    }
}
