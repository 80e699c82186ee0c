// Conversions between Swift values and PostgreSQL's text format, used for parameters and results.

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
            throw decodingError(String(decoding: bytes, as: UTF8.self), as: "\(Self.self)")
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

func decodingError(_ text: String, as type: String) -> PostgresError {
    // A short prefix is enough to debug a type mismatch without copying whole values into logs.
    let shown = text.count > 32 ? String(text.prefix(32)) + "…" : text
    return PostgresError(kind: .decoding, message: "cannot decode \"\(shown)\" as \(type)")
}

// MARK: - Strings and numbers

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self }
    public init(postgresText: String) { self = postgresText }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText: String) throws {
        guard let value = Int(postgresText) else { throw decodingError(postgresText, as: "Int") }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText: String) throws {
        guard let value = Int32(postgresText) else { throw decodingError(postgresText, as: "Int32") }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText: String) throws {
        guard let value = Int64(postgresText) else { throw decodingError(postgresText, as: "Int64") }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String {
        // Swift spells these "nan" and "inf"; use the server's canonical spellings.
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
    public init(postgresText: String) throws {
        // Swift's parser accepts "NaN", "Infinity" and "-Infinity" as float8 prints them.
        guard let value = Double(postgresText) else { throw decodingError(postgresText, as: "Double") }
        self = value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText: String) throws {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(postgresText, as: "Bool")
        }
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        // The server prints booleans as one letter.
        if bytes.count == 1, bytes[0] == UInt8(ascii: "t") { self = true; return }
        if bytes.count == 1, bytes[0] == UInt8(ascii: "f") { self = false; return }
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    /// Lowercase canonical form, as the server prints it.
    public var postgresText: String { PostgresUUID.format(self) }
    public init(postgresText: String) throws {
        var text = postgresText
        guard let value = text.withUTF8(PostgresUUID.parse) ?? UUID(uuidString: postgresText) else {
            throw decodingError(postgresText, as: "UUID")
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

/// The canonical 8-4-4-4-12 hex form, by hand: Foundation's `uuidString` and
/// `UUID(uuidString:)` go through snprintf and sscanf, which showed in gallery profiles
/// (every row has an id, and every tile prints it several times).
enum PostgresUUID {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func format(_ uuid: UUID) -> String {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = digits[Int(byte >> 4)]
                    out[position + 1] = digits[Int(byte & 0x0f)]
                    position += 2
                }
                return position
            }
        }
    }

    /// Parses the canonical form (either case); nil for anything else.
    static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> UUID? {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { bytes -> Bool in
            guard utf8.count == 36 else { return false }
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard utf8[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = hexNibble(utf8[position]), let low = hexNibble(utf8[position + 1]) else { return false }
                bytes[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return parsed ? UUID(uuid: value) : nil
    }
}

/// The value of one hex digit (either case), for UUIDs and bytea.
func hexNibble(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
    default: return nil
    }
}

// MARK: - bytea

extension Array: PostgresEncodable where Element == UInt8 {
    /// Hex format (`\x0aff…`), which every server since 9.0 accepts and prints by default.
    public var postgresText: String { PostgresBytea.hex(self) }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public init(postgresText: String) throws {
        self = try PostgresBytea.decode(postgresText)
    }
}

enum PostgresBytea {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") {
            return try decodeHex(utf8, text)
        }
        // A server configured with bytea_output = 'escape' prints this older format instead.
        return try decodeEscape(utf8, text)
    }

    private static func decodeHex(_ utf8: [UInt8], _ text: String) throws -> [UInt8] {
        guard utf8.count % 2 == 0 else { throw decodingError(text, as: "bytea") }
        var out = [UInt8]()
        out.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = hexNibble(utf8[i]), let low = hexNibble(utf8[i + 1]) else {
                throw decodingError(text, as: "bytea")
            }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func decodeEscape(_ utf8: [UInt8], _ text: String) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            if i + 1 < utf8.count, utf8[i + 1] == UInt8(ascii: "\\") {
                out.append(c)
                i += 2
                continue
            }
            // \ooo: three octal digits.
            guard i + 3 < utf8.count else { throw decodingError(text, as: "bytea") }
            var value = 0
            for c in utf8[(i + 1)...(i + 3)] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "7") else { throw decodingError(text, as: "bytea") }
                value = value * 8 + Int(c - UInt8(ascii: "0"))
            }
            guard value <= 255 else { throw decodingError(text, as: "bytea") }
            out.append(UInt8(value))
            i += 4
        }
        return out
    }
}

// MARK: - Optional

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

// MARK: - Date (timestamptz)

extension Date: PostgresEncodable, PostgresDecodable {
    /// ISO 8601 in UTC with microseconds (`2026-11-25T08:28:02.123456Z`), the server's precision.
    public var postgresText: String { PostgresTimestamp.format(self) }

    /// Accepts `timestamptz` output in ISO DateStyle with any UTC offset, with or without
    /// fractional seconds (`2026-11-25 08:28:02.123456+00`, `…08:28:02+05:30`), `timestamp`
    /// (read as UTC), `date`, and `infinity` / `-infinity` (as `distantFuture` / `distantPast`).
    public init(postgresText: String) throws {
        guard let date = PostgresTimestamp.parse(postgresText) else {
            throw decodingError(postgresText, as: "Date")
        }
        self = date
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let date = PostgresTimestamp.parse(bytes) else {
            throw decodingError(String(decoding: bytes, as: UTF8.self), as: "Date")
        }
        self = date
    }
}

/// Hand-written calendar arithmetic: it is thread-safe and far cheaper than a DateFormatter,
/// and timestamps are decoded on the hot path (every gallery row has one).
enum PostgresTimestamp {
    // Howard Hinnant's days-from-civil: proleptic Gregorian date to days since 1970-01-01.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    // The inverse: days since 1970-01-01 to (year, month, day).
    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parse)
    }

    static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Date? {
        // Only the infinities spell a letter where a digit goes; compare whole words just then.
        if s.count >= 8, s[0] == UInt8(ascii: "i") || s[1] == UInt8(ascii: "i") {
            if s.elementsEqual("infinity".utf8) { return .distantFuture }
            if s.elementsEqual("-infinity".utf8) { return .distantPast }
        }
        var i = 0

        func number(_ count: Int) -> Int? {
            guard i + count <= s.count else { return nil }
            var value = 0
            for _ in 0..<count {
                let c = s[i]
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
                i += 1
            }
            return value
        }
        func expect(_ char: Unicode.Scalar) -> Bool {
            guard i < s.count, s[i] == UInt8(char.value) else { return false }
            i += 1
            return true
        }

        // Years beyond 9999 print with more digits: take every digit before the dash.
        var yearDigits = 0
        while i + yearDigits < s.count, s[i + yearDigits] >= UInt8(ascii: "0"), s[i + yearDigits] <= UInt8(ascii: "9") {
            yearDigits += 1
        }
        guard yearDigits >= 4, let year = number(yearDigits), expect("-"),
              let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }

        var seconds = 0
        var fraction = 0.0
        var offset = 0
        if i < s.count, s[i] == UInt8(ascii: " ") || s[i] == UInt8(ascii: "T") {
            i += 1
            guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
                  hour <= 24, minute <= 59, second <= 60 else { return nil }
            seconds = hour * 3600 + minute * 60 + second
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                // Sum the digits as an integer first: adding 0.1, 0.01, … would accumulate error.
                var digits = 0
                var divisor = 1.0
                let start = i
                while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") {
                    if i - start < 9 {
                        digits = digits * 10 + Int(s[i] - UInt8(ascii: "0"))
                        divisor *= 10
                    }
                    i += 1
                }
                guard i > start else { return nil }
                fraction = Double(digits) / divisor
            }
            if i < s.count, s[i] == UInt8(ascii: "Z") {
                i += 1
            } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let hours = number(2) else { return nil }
                var total = hours * 3600
                if expect(":") {
                    guard let minutes = number(2) else { return nil }
                    total += minutes * 60
                    if expect(":") {
                        guard let secs = number(2) else { return nil }
                        total += secs
                    }
                }
                offset = sign * total
            }
        }
        var bc = false
        if i < s.count {
            // Dates before year 1 print with a " BC" suffix.
            guard s[i...].elementsEqual(" BC".utf8) else { return nil }
            bc = true
            i = s.count
        }
        let astronomicalYear = bc ? 1 - year : year
        let days = daysFromCivil(astronomicalYear, month, day)
        let whole = days * 86400 + seconds - offset
        return Date(timeIntervalSince1970: Double(whole) + fraction)
    }
}
