// The one error type the Postgres module throws, with the server's SQLSTATE when there is one.

/// An error from connecting to PostgreSQL, running a statement, or decoding a result.
///
/// Callers usually branch on the conveniences (`isUniqueViolation`, `isConnectionFailure`, …)
/// or on `constraint`, which names the constraint a write broke (e.g. `users_email_key`).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// Broad category of the failure.
    public enum Kind: Sendable, Equatable {
        /// Could not open a connection (bad conninfo, server not running, authentication failed).
        case connection
        /// The connection broke, either while idle (and could not be re-established) or during a
        /// statement. A statement that fails this way may or may not have run: it is never retried.
        case connectionLost
        /// The server rejected the statement (syntax, constraint, permission, …).
        case query
        /// A result value could not be turned into the requested Swift type.
        case decoding
    }

    /// Broad category of the failure.
    public let kind: Kind
    /// The five-character SQLSTATE code from the server (e.g. `23505`), if the server sent one.
    public let sqlState: String?
    /// The primary, human-readable message.
    public let message: String
    /// The server's DETAIL line, if any (e.g. which key value was duplicated).
    public let detail: String?
    /// The name of the violated constraint, if the error is a constraint violation.
    public let constraint: String?

    /// Creates an error; the module builds these itself, tests and fakes may too.
    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    /// A UNIQUE or PRIMARY KEY constraint was violated (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// A CHECK constraint was violated (SQLSTATE 23514), e.g. a balance that would go below zero.
    public var isCheckViolation: Bool { sqlState == "23514" }
    /// A FOREIGN KEY constraint was violated (SQLSTATE 23503).
    public var isForeignKeyViolation: Bool { sqlState == "23503" }

    /// The failure is about the connection rather than the statement: the server is down,
    /// restarting, or closed this session. Worth answering 503 and trying again later.
    public var isConnectionFailure: Bool {
        if kind == .connection || kind == .connectionLost { return true }
        guard let state = sqlState else { return false }
        // Class 08 is "connection exception" — except 08P01, a protocol violation, which a live
        // server also reports for a wrong parameter count. 57P01…57P03 are admin shutdown, crash
        // shutdown and "cannot connect now" (the server is starting up or shutting down).
        if state == "08P01" { return false }
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    public var description: String {
        var text: String
        switch kind {
        case .connection: text = "PostgreSQL connection failed"
        case .connectionLost: text = "PostgreSQL connection lost"
        case .query: text = "PostgreSQL error"
        case .decoding: text = "PostgreSQL decoding error"
        }
        if let state = sqlState { text += " \(state)" }
        text += ": \(message)"
        if let detail = detail { text += " (\(detail))" }
        if let constraint = constraint { text += " [constraint \(constraint)]" }
        return text
    }
}
