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
            // Foundation on Linux reports a number that does not fit its field without naming the
            // field, as if the JSON were invalid; a second parse tells the two apart. Types that
            // must name the field (the generation request) decode their numbers one by one.
            guard (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil else {
                throw JSONBodyError.malformed("it is not valid JSON.")
            }
            throw JSONBodyError.malformed("a number in it does not fit its field (a whole number is expected, within range).")
        }
        // Any other error is the type's own check (a field it refuses), passed on as it is.
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
