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
        let lost = PQstatus(conn) != CONNECTION_OK
        var message = field("M") ?? ""
        if message.isEmpty, let result = result, let text = PQresultErrorMessage(result) {
            message = String(cString: text).trimmingTrailingWhitespace()
        }
        if message.isEmpty {
            message = errorMessage(conn)
        }
        if lost, let firstLine = message.split(separator: "\n").first {
            // libpq follows "server closed the connection unexpectedly" with two lines of
            // speculation about why; the first line is the fact.
            message = String(firstLine)
        }
        return PostgresError(kind: lost ? .connectionLost : .query, sqlState: field("C"), message: message,
                             detail: field("D"), constraint: field("n"))
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
