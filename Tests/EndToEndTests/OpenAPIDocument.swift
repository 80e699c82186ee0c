// A parsed OpenAPI document and the JSON values it is checked against, for OpenAPITests.

import Foundation

/// A parsed OpenAPI document: its operations, `$ref` resolution and a schema check covering the
/// JSON Schema keywords the document uses ($ref, oneOf, type, enum, required, properties, items,
/// minimum, maximum, minItems, maxItems).
struct OpenAPIDocument {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    let document: [String: Any]

    /// One documented operation.
    struct Entry {
        let method: String
        let path: String
        let operation: [String: Any]
        var name: String { "\(method.uppercased()) \(path)" }
    }

    /// Every documented operation, sorted by path then method.
    var operations: [Entry] {
        let paths = document["paths"] as? [String: Any] ?? [:]
        var entries: [Entry] = []
        for path in paths.keys.sorted() {
            let item = paths[path] as? [String: Any] ?? [:]
            for method in Self.methods {
                if let operation = item[method] as? [String: Any] {
                    entries.append(Entry(method: method, path: path, operation: operation))
                }
            }
        }
        return entries
    }

    func operation(_ method: String, _ path: String) -> [String: Any]? {
        ((document["paths"] as? [String: Any])?[path] as? [String: Any])?[method] as? [String: Any]
    }

    /// The status codes an operation documents.
    func statuses(_ operation: [String: Any]) -> Set<Int> {
        Set((operation["responses"] as? [String: Any] ?? [:]).keys.compactMap { Int($0) })
    }

    /// The object a local `$ref` such as `#/components/schemas/Generation` points at.
    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for key in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(key)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    /// `object` itself, or what its `$ref` points at.
    func resolved(_ object: [String: Any]) -> [String: Any] {
        guard let reference = object["$ref"] as? String else { return object }
        return resolve(reference).map(resolved) ?? object
    }

    /// What in `value` does not fit `schema`, or nil when it fits.
    func mismatch(_ value: DecodedJSON, _ schema: [String: Any], at path: String = "$") -> String? {
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return "\(path): cannot resolve \(reference)" }
            return mismatch(value, target, at: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let matches = choices.filter { mismatch(value, $0, at: path) == nil }.count
            if matches != 1 { return "\(path): fits \(matches) of the oneOf schemas, not exactly 1" }
        }
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }),
           !types.contains(where: value.isOfType) {
            return "\(path): \(value.typeName), documented as \(types.joined(separator: " | "))"
        }
        if let allowed = schema["enum"] as? [String] {
            guard case .string(let text) = value, allowed.contains(text) else {
                return "\(path): \(value) is not one of \(allowed)"
            }
        }
        switch value {
        case .object(let members):
            for name in schema["required"] as? [String] ?? [] where members[name] == nil {
                return "\(path): `\(name)` is missing"
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in members.keys.sorted() {
                if let property = properties[name] as? [String: Any] {
                    if let problem = mismatch(members[name]!, property, at: path + "." + name) { return problem }
                } else if (schema["additionalProperties"] as? Bool) == false {
                    return "\(path): `\(name)` is not documented"
                }
            }
        case .array(let items):
            if let minimum = schema["minItems"] as? Int, items.count < minimum { return "\(path): fewer than \(minimum) items" }
            if let maximum = schema["maxItems"] as? Int, items.count > maximum { return "\(path): more than \(maximum) items" }
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() {
                    if let problem = mismatch(item, itemSchema, at: "\(path)[\(index)]") { return problem }
                }
            }
        case .integer(let number):
            if let minimum = (schema["minimum"] as? Int).map(Int64.init), number < minimum { return "\(path): \(number) < \(minimum)" }
            if let maximum = (schema["maximum"] as? Int).map(Int64.init), number > maximum { return "\(path): \(number) > \(maximum)" }
        default:
            break
        }
        return nil
    }
}

/// A JSON value that keeps booleans, integers and other numbers apart (JSONSerialization's
/// NSNumber does not, portably).
enum DecodedJSON: Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([DecodedJSON])
    case object([String: DecodedJSON])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([DecodedJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: DecodedJSON].self))
        }
    }

    func isOfType(_ type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object):
            return true
        default:
            return false
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let value): return value.debugDescription
        case .array(let items): return "[\(items.map(\.description).joined(separator: ", "))]"
        case .object(let members): return "{\(members.keys.sorted().map { "\($0.debugDescription): \(members[$0]!)" }.joined(separator: ", "))}"
        }
    }
}
