// Strict decoding of application/x-www-form-urlencoded data (bodies and query strings).

import Codecs

/// Why form data was refused.
public enum FormError: Error, Equatable, CustomStringConvertible {
    case malformedPercentEncoding
    case invalidUTF8
    case unsupportedContentType(String)
    /// NUL or another control character other than tab, CR and LF, in the named field.
    case controlCharacter(field: String)

    public var description: String {
        switch self {
        case .malformedPercentEncoding: return "The form data has malformed percent-encoding."
        case .invalidUTF8: return "The form data is not valid UTF-8."
        case .unsupportedContentType(let type):
            return "Expected a form body (application/x-www-form-urlencoded), got \(type.isEmpty ? "none" : type)."
        case .controlCharacter(let field):
            return "`\(String(field.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)))` contains a control character."
        }
    }
}

/// Ordered name/value pairs. Repeated names are kept (checkbox lists).
public struct FormData: Sendable, Equatable {
    public private(set) var pairs: [(name: String, value: String)]

    public init(pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// Decodes `a=1&b=x+y%21`. Throws on bad `%` escapes, invalid UTF-8 or control characters
    /// rather than guessing, so a mangled request gets a 400 instead of silently wrong data (a
    /// NUL would otherwise reach PostgreSQL, which refuses it in text, as a 500). Tab, CR and LF
    /// pass: multi-line fields such as prompts have them; one-line fields check their own.
    public init(urlEncoded bytes: [UInt8]) throws {
        pairs = []
        for field in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = field.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try FormData.decodeComponent(parts[0])
            let value = parts.count > 1 ? try FormData.decodeComponent(parts[1]) : ""
            if FormData.hasControlCharacter(name) || FormData.hasControlCharacter(value) {
                throw FormError.controlCharacter(field: name)
            }
            pairs.append((name, value))
        }
    }

    /// C0 controls but tab, LF and CR, and DEL.
    public static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }
    }

    /// The first value for a name.
    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value for a name, in order.
    public func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    static func decodeComponent(_ bytes: ArraySlice<UInt8>) throws -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      let high = Hex.nibble(bytes[index + 1]), let low = Hex.nibble(bytes[index + 2])
                else { throw FormError.malformedPercentEncoding }
                decoded.append(high << 4 | low)
                index += 2
            } else {
                decoded.append(byte)
            }
            index += 1
        }
        guard let string = String(validating: decoded, as: UTF8.self) else { throw FormError.invalidUTF8 }
        return string
    }

    public static func == (lhs: FormData, rhs: FormData) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }
}
