// Row decoding: PostgreSQL's text format to Swift values, straight from libpq's bytes where it pays.

import Foundation

/// A value that can be read from a result column in PostgreSQL's text format.
///
/// `NULL` never reaches `init(postgresText:)`: `Row.get` decodes it as `nil` for `Optional`
/// and throws a `.decoding` error for every other type.
public protocol PostgresDecodable {
    /// Parses the server's text output for this type; throws `PostgresError` (`.decoding`) if malformed.
    init(postgresText: String) throws

    /// The same, straight from libpq's result buffer. The default makes a String and calls
    /// `init(postgresText:)`; numbers, flags, ids and times parse the bytes without one.
    init(postgresBytes: UnsafeBufferPointer<UInt8>) throws
}

extension PostgresDecodable {
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
}

/// Integers decode from the bytes as the server prints them: an optional minus sign and digits.
extension PostgresDecodable where Self: FixedWidthInteger {
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = PostgresInteger.parse(bytes, as: Self.self) else {
            throw decodingError(byteCount: bytes.count, as: "\(Self.self)")
        }
        self = value
    }
}

enum PostgresInteger {
    static func parse<T: FixedWidthInteger>(_ bytes: UnsafeBufferPointer<UInt8>, as type: T.Type) -> T? {
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative || bytes.first == UInt8(ascii: "+") { index = 1 }
        guard index < bytes.count else { return nil }
        var value: T = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(T(digit)) : shifted.addingReportingOverflow(T(digit))
            guard !overflowA, !overflowB else { return nil }
            value = next
            index += 1
        }
        return value
    }
}

/// Lets `Row.get` decode `NULL` as `nil` when (and only when) the requested type is an `Optional`.
protocol PostgresNullDecodable {
    static var postgresNull: Self { get }
}

/// The error for a value that is not valid text for `type`. It gives the value's length but
/// not the value: errors get logged, and a row's values do not belong in logs.
func decodingError(byteCount: Int, as type: String) -> PostgresError {
    PostgresError(kind: .decoding, message: "cannot decode a \(byteCount)-byte value as \(type)")
}

extension String: PostgresDecodable {
    public init(postgresText: String) { self = postgresText }
}

extension Int: PostgresDecodable {
    public init(postgresText: String) throws {
        guard let value = Int(postgresText) else { throw decodingError(byteCount: postgresText.utf8.count, as: "Int") }
        self = value
    }
}

extension Int32: PostgresDecodable {
    public init(postgresText: String) throws {
        guard let value = Int32(postgresText) else { throw decodingError(byteCount: postgresText.utf8.count, as: "Int32") }
        self = value
    }
}

extension Int64: PostgresDecodable {
    public init(postgresText: String) throws {
        guard let value = Int64(postgresText) else { throw decodingError(byteCount: postgresText.utf8.count, as: "Int64") }
        self = value
    }
}

extension Double: PostgresDecodable {
    public init(postgresText: String) throws {
        // Swift's parser accepts "NaN", "Infinity" and "-Infinity" as float8 prints them.
        guard let value = Double(postgresText) else { throw decodingError(byteCount: postgresText.utf8.count, as: "Double") }
        self = value
    }
}

extension Bool: PostgresDecodable {
    public init(postgresText: String) throws {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(byteCount: postgresText.utf8.count, as: "Bool")
        }
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        // The server prints booleans as one letter.
        if bytes.count == 1, bytes[0] == UInt8(ascii: "t") { self = true; return }
        if bytes.count == 1, bytes[0] == UInt8(ascii: "f") { self = false; return }
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
}

extension UUID: PostgresDecodable {
    public init(postgresText: String) throws {
        var text = postgresText
        guard let value = text.withUTF8(PostgresUUID.parse) ?? UUID(uuidString: postgresText) else {
            throw decodingError(byteCount: postgresText.utf8.count, as: "UUID")
        }
        self = value
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = PostgresUUID.parse(bytes) else {
            try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
            return
        }
        self = value
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public init(postgresText: String) throws {
        var text = postgresText
        self = try text.withUTF8 { try Self(postgresBytes: $0) }
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = PostgresBytea.decode(bytes) else {
            throw decodingError(byteCount: bytes.count, as: "bytea")
        }
        self = value
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText: String) throws {
        self = .some(try Wrapped(postgresText: postgresText))
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        self = .some(try Wrapped(postgresBytes: bytes))
    }
}

extension Optional: PostgresNullDecodable where Wrapped: PostgresDecodable {
    static var postgresNull: Optional<Wrapped> { .none }
}

extension Date: PostgresDecodable {
    /// Accepts `timestamptz` output in ISO DateStyle with any UTC offset, with or without
    /// fractional seconds (`2026-11-25 08:28:02.123456+00`, `…08:28:02+05:30`), `timestamp`
    /// (read as UTC), `date`, and `infinity` / `-infinity` (as `distantFuture` / `distantPast`).
    public init(postgresText: String) throws {
        guard let date = PostgresTimestamp.parse(postgresText) else {
            throw decodingError(byteCount: postgresText.utf8.count, as: "Date")
        }
        self = date
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let date = PostgresTimestamp.parse(bytes) else {
            throw decodingError(byteCount: bytes.count, as: "Date")
        }
        self = date
    }
}
