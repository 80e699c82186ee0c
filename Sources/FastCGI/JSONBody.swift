// Decoding application/json request bodies into Decodable types, with errors a client can act on.

import Foundation

/// Why a JSON body was refused.
public enum JSONBodyError: Error, Equatable, CustomStringConvertible {
    case unsupportedContentType(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .unsupportedContentType(let type):
            return "Expected a JSON body (Content-Type: application/json), got \(type.isEmpty ? "none" : type)."
        case .malformed(let reason):
            return "The JSON body is malformed: \(reason)"
        }
    }
}

extension Request {
    /// The body decoded as `T`. Wrong content type, invalid UTF-8, bad syntax and wrong
    /// field types all throw `JSONBodyError` with a short reason.
    public func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard contentType == "application/json" || contentType.hasSuffix("+json") else {
            throw JSONBodyError.unsupportedContentType(contentType)
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw JSONBodyError.malformed("it is not valid UTF-8.")
        }
        // A raw control character is invalid JSON already; an escaped one (`\u0000`) would decode
        // into a string and reach PostgreSQL, which refuses NUL in text, as a 500.
        guard !Self.hasEscapedControlCharacter(body) else {
            throw JSONBodyError.malformed("a string contains a control character (only tab, CR and LF are allowed).")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            // The body itself (`[]`, `"x"`) has no field to name.
            guard !context.codingPath.isEmpty else { throw JSONBodyError.malformed("the body must be a JSON object.") }
            throw JSONBodyError.malformed("`\(Self.path(context))` has the wrong type.")
        } catch let DecodingError.keyNotFound(key, _) {
            throw JSONBodyError.malformed("`\(key.stringValue)` is required.")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            // A number that does not fit its field: 1.5 for a whole number, a seed beyond 64 bits.
            throw JSONBodyError.malformed("`\(Self.path(context))` is not a number of the kind it takes (a whole number in range).")
        } catch is DecodingError {
            throw JSONBodyError.malformed("it is not valid JSON.")
        }
        // Any other error is the type's own check (a field it refuses), passed on as it is.
    }

    /// Finds `\u00XX` escapes of C0 controls other than tab, LF and CR, and of DEL, outside
    /// escaped backslashes (`\\u0000` is the text "\u0000", not a NUL).
    static func hasEscapedControlCharacter(_ body: [UInt8]) -> Bool {
        var index = 0
        while index < body.count {
            guard body[index] == UInt8(ascii: "\\") else { index += 1; continue }
            guard index + 1 < body.count else { return false }
            if body[index + 1] == UInt8(ascii: "u"), index + 5 < body.count,
               let value = UInt8(String(decoding: body[(index + 2)...(index + 5)], as: UTF8.self), radix: 16),
               (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || value == 0x7F {
                return true
            }
            index += 2   // the escaped character, whatever it is, cannot start another escape
        }
        return false
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
