// One libpq session: parameterised queries over cached prepared statements, transactions, and
// reconnecting by itself when the server went away while the connection sat idle.

import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection to PostgreSQL.
///
/// Not thread-safe: each thread (FastCGI worker thread, job runner) owns its own connection.
///
/// Every `query` runs as a prepared statement cached per connection under its SQL text, so the
/// server parses and plans each statement once per session. Parameters are always sent
/// separately from the SQL (`$1`, `$2`, …), in text format.
///
/// If the server restarts, the next statement issued outside a transaction notices the dead
/// session before sending anything and reconnects first. A statement cut off mid-flight throws
/// `PostgresError` with kind `.connectionLost` and is never retried, because it may have run;
/// the call after that reconnects.
public final class Connection {
    /// Internal so Notifications.swift can wait on the socket.
    var handle: OpaquePointer?
    /// SQL text → name of the server-side prepared statement. Dies with the session.
    private var statements: [String: String] = [:]
    private var statementCounter = 0
    /// How many `transaction` calls are running; above 1 they are savepoints. Kept apart from the
    /// server's transaction status so a body never silently continues on a fresh session.
    private var transactionDepth = 0

    /// Opens a connection. `conninfo` is a libpq connection string, either `key=value` pairs
    /// (`host=127.0.0.1 port=5432 dbname=pictor user=pictor`) or a `postgresql://` URI.
    ///
    /// The session always uses UTC, ISO dates and UTF-8, so `timestamptz` values print as
    /// `2026-11-25 08:28:02.123456+00`. Unless the string sets `connect_timeout`, connecting
    /// (and reconnecting) gives up after 10 seconds rather than hanging a request.
    public init(_ conninfo: String) throws {
        handle = try Connection.open(conninfo)
    }

    deinit {
        close()
    }

    /// Whether the server is inside a transaction block on this session (including a failed
    /// one awaiting ROLLBACK). False once the connection is known to be lost.
    public var isInTransaction: Bool {
        guard let conn = handle, PQstatus(conn) == CONNECTION_OK else { return false }
        let status = PQtransactionStatus(conn)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Closes the session. Later calls throw a `.connection` error.
    public func close() {
        if let conn = handle {
            PQfinish(conn)
        }
        handle = nil
        statements.removeAll()
    }

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

    /// Runs SQL text with the simple query protocol: no parameters, but it may hold several
    /// statements separated by semicolons (migrations, DDL). Results are discarded.
    public func execute(_ sql: String) throws {
        let conn = try ready()
        PQclear(try check(PQexec(conn, sql), conn))
    }

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

    // MARK: - Connection health

    /// Returns a usable handle, first replacing a session the server has closed — but only
    /// between transactions: inside one, a lost session must fail the transaction, not be
    /// swapped for a fresh one halfway through.
    private func ready() throws -> OpaquePointer {
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
            throw PostgresError(kind: .connectionLost, message: "cannot reconnect: \(Connection.errorMessage(conn))")
        }
    }

    // MARK: - Prepared statements

    private func prepare(_ sql: String, _ conn: OpaquePointer) throws -> String {
        if let name = statements[sql] { return name }
        statementCounter += 1
        let name = "pictor_\(statementCounter)"
        // Zero declared types: the server infers each parameter's type from the statement.
        PQclear(try check(PQprepare(conn, name, sql, 0, nil), conn))
        statements[sql] = name
        return name
    }

    private func forget(_ sql: String, _ conn: OpaquePointer) {
        guard let name = statements.removeValue(forKey: sql) else { return }
        if PQstatus(conn) == CONNECTION_OK, PQtransactionStatus(conn) == PQTRANS_IDLE,
           let result = PQexec(conn, "DEALLOCATE \(name)") {
            PQclear(result)
        }
    }

    private static func isStaleStatement(_ error: PostgresError) -> Bool {
        // 26000: prepared statement does not exist. 0A000 at execution of a statement that
        // prepared fine: "cached plan must not change result type".
        error.kind == .query && (error.sqlState == "26000" || error.sqlState == "0A000")
    }

    /// Encodes parameters into one buffer of NUL-terminated strings; `nil` offsets are NULLs.
    private static func encode(_ params: [PostgresEncodable?]) throws -> (buffer: [CChar], offsets: [Int?]) {
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
    private static func withParameters<T>(_ values: (buffer: [CChar], offsets: [Int?]),
                                          _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> T) -> T {
        values.buffer.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = values.offsets.map { offset in offset.map { buffer.baseAddress! + $0 } }
            return pointers.withUnsafeBufferPointer(body)
        }
    }

    // MARK: - Results and errors

    /// Returns a successful result or throws (and frees) a failed one.
    private func check(_ result: OpaquePointer?, _ conn: OpaquePointer) throws -> OpaquePointer {
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

    private static func failure(_ result: OpaquePointer?, _ conn: OpaquePointer) -> PostgresError {
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

    // MARK: - Opening

    /// Parses `conninfo` with libpq itself (so URIs and key=value both work), adds the session
    /// settings this module relies on, and connects.
    private static func open(_ conninfo: String) throws -> OpaquePointer {
        var parseError: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &parseError) else {
            var message = "invalid connection string"
            if let parseError = parseError {
                message += ": " + String(cString: parseError).trimmingTrailingWhitespace()
                PQfreemem(parseError)
            }
            throw PostgresError(kind: .connection, message: message)
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
            let message = errorMessage(conn)
            PQfinish(conn)
            throw PostgresError(kind: .connection, message: message)
        }
        // libpq prints notices (and the FATAL a server sends before closing an idle session) to
        // stderr by default; that is noise in a server's logs, and errors reach callers anyway.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return conn
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
