// Parameters: Swift values in PostgreSQL's text input format, sent apart from the SQL.

import Foundation

/// A value that can be sent as a statement parameter, in PostgreSQL's text format.
///
/// The server parses the text according to the parameter's inferred type, so `"42"` works for an
/// `integer` column and `"\x00ff"` for a `bytea` one. Values are never spliced into SQL.
public protocol PostgresEncodable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }

    /// Whether the value is SQL `NULL`: only a `nil` optional is. A requirement rather than a
    /// cast at every parameter, so sending one costs no run-time conformance lookup.
    var isPostgresNull: Bool { get }
}

extension PostgresEncodable {
    public var isPostgresNull: Bool { false }
}

extension String: PostgresEncodable {
    public var postgresText: String { self }
}

extension Int: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Double: PostgresEncodable {
    public var postgresText: String {
        // Swift spells these "nan" and "inf"; use the server's canonical spellings.
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
}

extension Bool: PostgresEncodable {
    public var postgresText: String { self ? "t" : "f" }
}

extension UUID: PostgresEncodable {
    /// Lowercase canonical form, as the server prints it.
    public var postgresText: String { PostgresUUID.format(self) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// Hex format (`\x0aff…`), which every server since 9.0 accepts and prints by default.
    public var postgresText: String { PostgresBytea.hex(self) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped value's text. `Connection.query` checks for `nil` first and sends SQL `NULL`,
    /// so the empty string returned for `nil` here is never sent.
    public var postgresText: String { self?.postgresText ?? "" }
}

extension Optional where Wrapped: PostgresEncodable {
    public var isPostgresNull: Bool {
        switch self {
        case .none: return true
        // Nested optionals (`String??`) are NULL if any level is nil.
        case .some(let wrapped): return wrapped.isPostgresNull
        }
    }
}

extension Date: PostgresEncodable {
    /// ISO 8601 in UTC with microseconds (`2026-11-25T08:28:02.123456Z`), the server's precision.
    public var postgresText: String { PostgresTimestamp.format(self) }
}
