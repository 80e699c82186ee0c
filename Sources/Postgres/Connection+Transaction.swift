// Transactions and the savepoints nested ones become, never committing a body whose statement failed.

internal import CLibPQ

extension Connection {
    /// Runs `body` inside BEGIN … COMMIT and returns its value.
    ///
    /// If `body` throws, the transaction is rolled back and the error rethrown. If a statement in
    /// `body` failed but `body` swallowed the error, the transaction is rolled back and this
    /// throws (SQLSTATE 25P02) instead of pretending to commit. Nested calls become savepoints,
    /// so a failing inner call undoes only its own work.
    ///
    /// A `.connectionLost` error from COMMIT means the outcome is unknown.
    @discardableResult
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        if transactionDepth > 0 {
            return try savepoint(body)
        }
        let conn = try ready()
        PQclear(try check(PQexec(conn, "BEGIN"), conn))
        transactionDepth = 1
        let value: T
        do {
            value = try body(self)
        } catch {
            transactionDepth = 0
            rollbackQuietly("ROLLBACK")
            throw error
        }
        transactionDepth = 0
        try requireOpenTransaction(conn, rollback: "ROLLBACK")
        PQclear(try check(PQexec(conn, "COMMIT"), conn))
        return value
    }

    // MARK: - Savepoints

    private func savepoint<T>(_ body: (Connection) throws -> T) throws -> T {
        let conn = try ready()
        let name = "pictor_savepoint_\(transactionDepth)"
        PQclear(try check(PQexec(conn, "SAVEPOINT \(name)"), conn))
        transactionDepth += 1
        let value: T
        do {
            value = try body(self)
        } catch {
            transactionDepth -= 1
            rollbackQuietly("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
        transactionDepth -= 1
        try requireOpenTransaction(conn, rollback: "ROLLBACK TO SAVEPOINT \(name)")
        PQclear(try check(PQexec(conn, "RELEASE SAVEPOINT \(name)"), conn))
        return value
    }

    /// Before COMMIT (or RELEASE): make sure the transaction is still alive and healthy, so a
    /// body that swallowed an error never turns into a silent rollback reported as success.
    private func requireOpenTransaction(_ conn: OpaquePointer, rollback: String) throws {
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(kind: .connectionLost, message: "connection lost during the transaction; it did not commit")
        }
        switch PQtransactionStatus(conn) {
        case PQTRANS_INTRANS:
            return
        case PQTRANS_INERROR:
            rollbackQuietly(rollback)
            throw PostgresError(kind: .query, sqlState: "25P02",
                                message: "a statement in the transaction failed, so it was rolled back instead of committed")
        default:
            throw PostgresError(kind: .query, sqlState: "25000",
                                message: "the transaction was ended inside the transaction body (COMMIT or ROLLBACK executed directly)")
        }
    }

    private func rollbackQuietly(_ sql: String) {
        // Nothing to roll back on a dead session: the server already discarded the transaction.
        guard let conn = handle, PQstatus(conn) == CONNECTION_OK,
              PQtransactionStatus(conn) != PQTRANS_IDLE else { return }
        if let result = PQexec(conn, sql) { PQclear(result) }
    }
}
