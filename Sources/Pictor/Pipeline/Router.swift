// Maps a method and a path to a handler. Patterns match by specificity, not by the order they
// were listed: at the first segment where two patterns differ, a literal beats a `{parameter}`.
// RoutingMiddleware finds the route early (an unknown path or method is 404/405 before anything
// else reads the request); the pipeline's last step runs its handler.

import FastCGI
import Foundation

/// A handler answers one request with a typed reply.
typealias Handler = @Sendable (inout RequestContext) throws -> Reply

/// One line of the route table.
struct Route: Sendable {
    let method: String
    let pattern: String
    let handler: Handler

    static func get(_ pattern: String, _ handler: @escaping Handler) -> Route { Route(method: "GET", pattern: pattern, handler: handler) }
    static func post(_ pattern: String, _ handler: @escaping Handler) -> Route { Route(method: "POST", pattern: pattern, handler: handler) }
    static func patch(_ pattern: String, _ handler: @escaping Handler) -> Route { Route(method: "PATCH", pattern: pattern, handler: handler) }
    static func delete(_ pattern: String, _ handler: @escaping Handler) -> Route { Route(method: "DELETE", pattern: pattern, handler: handler) }

    fileprivate var segments: [Substring] { pattern.split(separator: "/") }
}

/// Finds the route, so later steps and the handler know it.
struct RoutingMiddleware: Middleware {
    let router: Router

    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        let (route, parameters) = try router.route(context.request)
        context.route = route
        context.parameters = parameters
        return try next(&context)
    }
}

/// Two routes would answer the same requests; found when the table is built.
struct AmbiguousRoutes: Error, CustomStringConvertible {
    let description: String
}

struct Router: Sendable {
    enum Match {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Literal paths, looked up in one step (a literal path is more specific than any pattern).
    private var exact: [String: [String: Route]] = [:]
    /// Patterns by segment count, most specific first, so the first match is the best one.
    private var patterned: [Int: [(route: Route, segments: [Substring])]] = [:]

    /// Builds the table; refuses two routes of one method with the same shape.
    init(_ routes: [Route]) throws {
        var seen: [String: String] = [:]
        for route in routes {
            let segments = route.segments
            let shape = route.method + " /" + segments.map { $0.hasPrefix("{") ? "{}" : String($0) }.joined(separator: "/")
            if let other = seen[shape] {
                throw AmbiguousRoutes(description: "\(route.method) \(route.pattern) and \(other) match the same requests")
            }
            seen[shape] = route.pattern
            if segments.contains(where: { $0.hasPrefix("{") }) {
                patterned[segments.count, default: []].append((route, segments))
            } else {
                exact[route.pattern, default: [:]][route.method] = route
            }
        }
        for count in patterned.keys {
            patterned[count]!.sort { Self.isMoreSpecific($0.segments, than: $1.segments) }
        }
    }

    /// At the first segment where the kinds differ, the literal one is more specific.
    private static func isMoreSpecific(_ a: [Substring], than b: [Substring]) -> Bool {
        for (x, y) in zip(a, b) where x.hasPrefix("{") != y.hasPrefix("{") {
            return !x.hasPrefix("{")
        }
        return false
    }

    /// Finds the route. HEAD is answered by the GET route (nginx drops the body).
    func match(method: String, path: String) -> Match {
        let lookup = method == "HEAD" ? "GET" : method
        var allowed: Set<String> = []
        if let routes = exact[path] {
            if let route = routes[lookup] { return .found(route, parameters: [:]) }
            allowed.formUnion(routes.keys)
        }
        let segments = path.split(separator: "/")
        for candidate in patterned[segments.count] ?? [] {
            guard let parameters = Self.capture(candidate.segments, segments) else { continue }
            if candidate.route.method == lookup { return .found(candidate.route, parameters: parameters) }
            allowed.insert(candidate.route.method)
        }
        // What a GET route answers, HEAD does too: Allow says so.
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed.sorted())
    }

    /// The route for the request, with its parameters; 404 or 405 when there is none.
    func route(_ request: Request) throws -> (Route, parameters: [String: String]) {
        switch match(method: request.method, path: request.path) {
        case .found(let route, let parameters): return (route, parameters)
        case .methodNotAllowed(let allowed): throw HTTPError.methodNotAllowed(allowed: allowed)
        case .notFound: throw HTTPError.notFound()
        }
    }

    private static func capture(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
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
