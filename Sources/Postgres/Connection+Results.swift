// Turning libpq results into `Rows` or `PostgresError`, and leaving modes this client does not support.

internal import CLibPQ

extension Connection {
    /// Returns a successful result or throws (and frees) a failed one.
    func check(_ result: OpaquePointer?, _ conn: OpaquePointer) throws -> OpaquePointer {
        guard let result = result else {
            throw Connection.failure(nil, conn)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            PQclear(result)
            Connection.abandonCopy(conn)
            throw PostgresError(kind: .query, message: "COPY is not supported by this client")
        default:
            let error = Connection.failure(result, conn)
            PQclear(result)
            if error.kind == .connectionLost {
                // Whatever the session held is gone with it.
                statements.removeAll()
            }
            throw error
        }
    }

    static func failure(_ result: OpaquePointer?, _ conn: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result = result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let kind: PostgresError.Kind = PQstatus(conn) == CONNECTION_OK ? .query : .connectionLost
        if let state = field("C") {
            // The server's message and DETAIL can quote row and parameter values, so the error
            // describes itself by SQLSTATE and schema objects and keeps the server's text apart.
            return PostgresError(kind: kind, sqlState: state, message: PostgresError.condition(state),
                                 constraint: field("n"), schema: field("s"), table: field("t"),
                                 column: field("c"), dataType: field("d"), position: field("P").flatMap { Int($0) },
                                 serverMessage: field("M"), serverDetail: field("D"))
        }
        // No SQLSTATE: the words are libpq's own, about the session rather than any data.
        var text = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0).trimmingTrailingWhitespace() } ?? ""
        if text.isEmpty {
            text = errorMessage(conn)
        }
        // libpq follows "server closed the connection unexpectedly" with two lines of
        // speculation about why; the first line is the fact.
        var message = text.split(separator: "\n").first.map(String.init) ?? text
        if message.hasPrefix("ERROR:") {
            // A server error left in the connection's message by an earlier statement; its text
            // may hold values, and it is not what went wrong here.
            message = "no result from the server"
        }
        return PostgresError(kind: kind, message: message)
    }

    /// Leaves COPY mode so the session stays usable after someone ran COPY through `query`.
    private static func abandonCopy(_ conn: OpaquePointer) {
        _ = PQputCopyEnd(conn, "COPY is not supported by this client")
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(conn, &buffer, 0) > 0 {
            PQfreemem(buffer)
        }
        while let result = PQgetResult(conn) {
            PQclear(result)
        }
    }

    static func errorMessage(_ conn: OpaquePointer) -> String {
        guard let text = PQerrorMessage(conn) else { return "unknown error" }
        let message = String(cString: text).trimmingTrailingWhitespace()
        return message.isEmpty ? "unknown error" : message
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
