// Maps a method and a path to a handler; `{name}` segments capture path parameters.

import FastCGI
import Foundation

/// A handler answers one request.
public typealias Handler = @Sendable (inout RequestContext) throws -> Response

/// The route table, built once per process.
public struct Router: Sendable {
    private struct Route: Sendable {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    public enum Match {
        case found(Handler, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Exact paths, looked up in one step; patterned ones are scanned.
    private var exact: [String: [String: Handler]] = [:]
    private var patterned: [Route] = []

    public init() {}

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }

    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        if pattern.contains("{") {
            patterned.append(Route(method: method, segments: pattern.split(separator: "/"), handler: handler))
        } else {
            exact[pattern, default: [:]][method] = handler
        }
    }

    /// Finds the handler. HEAD is answered by the GET handler (nginx drops the body).
    public func match(method: String, path: String) -> Match {
        let lookup = method == "HEAD" ? "GET" : method
        if let handlers = exact[path] {
            if let handler = handlers[lookup] { return .found(handler, parameters: [:]) }
            return .methodNotAllowed(allowed: handlers.keys.sorted())
        }
        let segments = path.split(separator: "/")
        var allowed: [String] = []
        for route in patterned {
            guard let parameters = Self.capture(route.segments, segments) else { continue }
            if route.method == lookup { return .found(route.handler, parameters: parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed.sorted())
    }

    private static func capture(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") {
                guard let decoded = String(actual).removingPercentEncoding else { return nil }
                parameters[String(expected.dropFirst().dropLast())] = decoded
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }
}
