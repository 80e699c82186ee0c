// One libpq session: parameterised queries over cached prepared statements, transactions, and
// reconnecting by itself when the server went away while the connection sat idle.

internal import CLibPQ

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
    /// The libpq session, nil once closed. Internal so the `Connection+…` files can use it.
    var handle: OpaquePointer?
    /// SQL text → name of the server-side prepared statement. Dies with the session.
    var statements: [String: String] = [:]
    var statementCounter = 0
    /// How many `transaction` calls are running; above 1 they are savepoints. Kept apart from the
    /// server's transaction status so a body never silently continues on a fresh session.
    var transactionDepth = 0

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
}
