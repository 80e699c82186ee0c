// Opening a session with the settings this module relies on, and replacing one the server closed.

internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension Connection {
    /// Parses `conninfo` with libpq itself (so URIs and key=value both work), adds the session
    /// settings this module relies on, and connects.
    static func open(_ conninfo: String) throws -> OpaquePointer {
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &parseError) else {
            var reason = parseError.map { String(cString: $0).trimmingTrailingWhitespace() } ?? ""
            if let parseError { PQfreemem(parseError) }
            // libpq quotes the part it could not parse, which may be a password; only an
            // unknown keyword is safe to repeat in a log.
            if !reason.hasPrefix("invalid connection option") { reason = "check its syntax and quoting" }
            throw PostgresError(kind: .connection, message: "invalid connection string: \(reason)")
        }
        defer { PQconninfoFree(options) }

        var settings: [(String, String)] = []
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val {
                settings.append((String(cString: keyword), String(cString: value)))
            }
            cursor += 1
        }
        // Startup options rather than SET statements: they cost no round trip and PQreset
        // replays them on every reconnect.
        let sessionOptions = "-c TimeZone=UTC -c DateStyle=ISO"
        if let index = settings.firstIndex(where: { $0.0 == "options" }) {
            settings[index].1 += " " + sessionOptions
        } else {
            settings.append(("options", sessionOptions))
        }
        // Results are decoded as UTF-8, so the session must speak it whatever the server's default.
        settings.removeAll { $0.0 == "client_encoding" }
        settings.append(("client_encoding", "UTF8"))
        if !settings.contains(where: { $0.0 == "connect_timeout" }) {
            settings.append(("connect_timeout", "10"))
        }

        let keywords = settings.map { strdup($0.0) }
        let values = settings.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keywordList = keywords.map { UnsafePointer($0) } + [nil]
        let valueList = values.map { UnsafePointer($0) } + [nil]
        guard let conn = PQconnectdbParams(keywordList, valueList, 0) else {
            throw PostgresError(kind: .connection, message: "out of memory allocating a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = connectionFailure(conn)
            PQfinish(conn)
            throw PostgresError(kind: .connection, message: message)
        }
        // libpq prints notices (and the FATAL a server sends before closing an idle session) to
        // stderr by default; that is noise in a server's logs, and errors reach callers anyway.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return conn
    }

    // MARK: - Connection health

    /// Returns a usable handle, first replacing a session the server has closed — but only
    /// between transactions: inside one, a lost session must fail the transaction, not be
    /// swapped for a fresh one halfway through.
    func ready() throws -> OpaquePointer {
        guard let conn = handle else {
            throw PostgresError(kind: .connection, message: "the connection was closed")
        }
        let outsideTransaction = transactionDepth == 0 && {
            let status = PQtransactionStatus(conn)
            return status == PQTRANS_IDLE || status == PQTRANS_UNKNOWN
        }()
        if outsideTransaction {
            if PQstatus(conn) != CONNECTION_OK || Connection.serverClosedWhileIdle(conn) {
                try reconnect(conn)
            }
        } else if PQstatus(conn) != CONNECTION_OK {
            throw PostgresError(kind: .connectionLost, message: "connection lost during the transaction; it was rolled back by the server")
        }
        return conn
    }

    /// An idle session should receive nothing. If its socket is readable, the server has sent
    /// something unprompted — typically a FATAL "terminating connection" followed by EOF when
    /// it shut down — so read it and let libpq decide whether the session is still alive.
    private static func serverClosedWhileIdle(_ conn: OpaquePointer) -> Bool {
        let fd = PQsocket(conn)
        guard fd >= 0 else { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        // A few rounds: the FATAL message and the EOF can arrive in separate reads.
        for _ in 0..<4 {
            guard poll(&pfd, 1, 0) > 0 else { break }
            if PQconsumeInput(conn) == 0 { return true }
            // Parse what arrived: a stray error goes to the notice processor, notifications are dropped.
            _ = PQisBusy(conn)
            while let notify = PQnotifies(conn) { PQfreemem(notify) }
            if PQstatus(conn) != CONNECTION_OK { return true }
        }
        return PQstatus(conn) != CONNECTION_OK
    }

    private func reconnect(_ conn: OpaquePointer) throws {
        // Prepared statements belong to the old server session.
        statements.removeAll()
        PQreset(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(kind: .connectionLost, message: "cannot reconnect: \(Connection.connectionFailure(conn))")
        }
    }

    /// libpq's account of a failed attempt to connect, on one line for the logs (it spreads it
    /// over several, one per address tried plus hints). It names hosts, users and databases,
    /// which an operator needs, and never data.
    private static func connectionFailure(_ conn: OpaquePointer) -> String {
        errorMessage(conn).split(whereSeparator: \.isNewline)
            .map { $0.drop(while: \.isWhitespace) }
            .joined(separator: " ")
    }
}
