// The one error type the Postgres module throws; what it prints is safe to log.

/// An error from connecting to PostgreSQL, running a statement, or decoding a result.
///
/// Callers usually branch on the conveniences (`isUniqueViolation`, `isConnectionFailure`, …)
/// or on `constraint`, which names the constraint a write broke (e.g. `users_email_key`).
///
/// `description` (what `"\(error)"` and loggers print) holds the SQLSTATE, the condition it
/// names and the schema objects involved, never text that can quote a row or a parameter: the
/// server's message and DETAIL do (`Key (email)=(a@b.c) already exists`), so they are kept
/// apart in `serverMessage` and `serverDetail`, for tests and debuggers only.
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
    /// What went wrong, in words safe to log. For a server error, the condition its SQLSTATE
    /// names (`unique violation`); otherwise this module's or libpq's own words, which name
    /// columns, types, hosts and databases but hold no values.
    public let message: String
    /// The name of the violated constraint, if the error is a constraint violation.
    public let constraint: String?
    /// The schema, table, column and data type the server said the error is about, if it did.
    public let schema: String?, table: String?, column: String?, dataType: String?
    /// Where in the statement text (1-based, in characters) the server found the error.
    public let position: Int?
    /// The server's own message. It can quote values (`invalid input syntax for type uuid:
    /// "garbage"`), so `description` leaves it out: never log it.
    public let serverMessage: String?
    /// The server's DETAIL line, e.g. which key value was duplicated. Never log it either.
    public let serverDetail: String?

    /// Creates an error; the module builds these itself, tests and fakes may too.
    public init(kind: Kind, sqlState: String? = nil, message: String, constraint: String? = nil,
                schema: String? = nil, table: String? = nil, column: String? = nil, dataType: String? = nil,
                position: Int? = nil, serverMessage: String? = nil, serverDetail: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
        self.schema = schema
        self.table = table
        self.column = column
        self.dataType = dataType
        self.position = position
        self.serverMessage = serverMessage
        self.serverDetail = serverDetail
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

    /// `PostgreSQL error 23505: unique violation [constraint users_email_key, table public.users]`.
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
        var objects: [String] = []
        if let constraint { objects.append("constraint \(constraint)") }
        if let table { objects.append("table " + (schema.map { "\($0).\(table)" } ?? table)) }
        if let column { objects.append("column \(column)") }
        if let dataType { objects.append("type \(dataType)") }
        if let position { objects.append("at character \(position)") }
        if !objects.isEmpty { text += " [\(objects.joined(separator: ", "))]" }
        return text
    }
}

/// `dump(error)` and other reflection show the same safe fields as `description`.
extension PostgresError: CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: [
            "kind": kind, "sqlState": sqlState as Any, "message": message, "constraint": constraint as Any,
            "schema": schema as Any, "table": table as Any, "column": column as Any,
            "dataType": dataType as Any, "position": position as Any,
        ], displayStyle: .struct)
    }
}
