// Route matching: exact paths, parameters, specificity instead of order, 404 and 405, and the
// app's own table (every route reachable, none ambiguous).

import FastCGI
@testable import Pictor
import XCTest

final class RouterTests: XCTestCase {
    private static let noop: Handler = { _ in .empty() }

    private func router(_ routes: [Route]) throws -> Router { try Router(routes) }

    private func matched(_ router: Router, _ method: String, _ path: String) -> (pattern: String, parameters: [String: String])? {
        guard case .found(let route, let parameters) = router.match(method: method, path: path) else { return nil }
        return (route.pattern, parameters)
    }

    private var sample: Router {
        get throws {
            try router([.get("/", Self.noop), .get("/generations/{id}", Self.noop), .post("/generations/{id}/delete", Self.noop)])
        }
    }

    func testMatchesExactAndPatternedRoutes() throws {
        let router = try sample
        XCTAssertEqual(matched(router, "GET", "/")?.pattern, "/")
        XCTAssertEqual(matched(router, "GET", "/generations/abc-123")?.parameters, ["id": "abc-123"])
        XCTAssertEqual(matched(router, "POST", "/generations/abc/delete")?.parameters, ["id": "abc"])
    }

    func testDecodesPercentEncodedParameters() throws {
        XCTAssertEqual(matched(try sample, "GET", "/generations/a%20b")?.parameters, ["id": "a b"])
    }

    func testPathTricksDoNotMatchOtherRoutes() throws {
        let router = try sample
        guard case .notFound = router.match(method: "GET", path: "/generations/../etc/passwd") else {
            return XCTFail("a traversal path matched a route")
        }
        guard case .notFound = router.match(method: "GET", path: "/generations/%ZZ") else {
            return XCTFail("malformed percent-encoding matched")
        }
    }

    func testHeadUsesTheGetHandler() throws {
        XCTAssertEqual(matched(try sample, "HEAD", "/")?.pattern, "/")
    }

    func testUnknownPathIsNotFound() throws {
        guard case .notFound = try sample.match(method: "GET", path: "/nope") else { return XCTFail() }
    }

    func testWrongMethodListsTheAllowedOnes() throws {
        guard case .methodNotAllowed(let allowed) = try sample.match(method: "DELETE", path: "/") else { return XCTFail() }
        XCTAssertEqual(allowed, ["GET", "HEAD"], "HEAD is answered wherever GET is")
        guard case .methodNotAllowed(let patterned) = try sample.match(method: "POST", path: "/generations/x") else { return XCTFail() }
        XCTAssertEqual(patterned, ["GET", "HEAD"])
    }

    func testLiteralSegmentBeatsParameterWhateverTheOrder() throws {
        let routes: [Route] = [.get("/items/{id}/{file}", Self.noop), .get("/items/{id}/edit", Self.noop),
                               .get("/items/new/{file}", Self.noop)]
        for order in [routes, routes.reversed()] {
            let router = try router(order)
            XCTAssertEqual(matched(router, "GET", "/items/7/edit")?.pattern, "/items/{id}/edit")
            XCTAssertEqual(matched(router, "GET", "/items/7/image")?.pattern, "/items/{id}/{file}")
            // The first segment that differs decides: `new` is a literal there.
            XCTAssertEqual(matched(router, "GET", "/items/new/edit")?.pattern, "/items/new/{file}")
        }
    }

    func testAMethodMismatchDoesNotHideALessSpecificRoute() throws {
        let router = try router([.post("/generations/{id}/delete", Self.noop), .get("/generations/{id}/{file}", Self.noop)])
        XCTAssertEqual(matched(router, "GET", "/generations/7/delete")?.parameters, ["id": "7", "file": "delete"])
    }

    func testRoutesOfTheSameShapeAreRefused() {
        XCTAssertThrowsError(try Router([.get("/a/{x}", Self.noop), .get("/a/{y}", Self.noop)])) { error in
            XCTAssertTrue("\(error)".contains("/a/{x}") && "\(error)".contains("/a/{y}"), "\(error)")
        }
        XCTAssertThrowsError(try Router([.get("/a", Self.noop), .get("/a", Self.noop)]))
        XCTAssertNoThrow(try Router([.get("/a/{x}", Self.noop), .post("/a/{y}", Self.noop)]), "other methods are other routes")
    }

    /// Every route of the app answers its own sample path: none is shadowed by another.
    func testEveryAppRouteIsReachable() throws {
        let routes = Routes.all(config: Config())
        let router = try Router(routes)
        for route in routes {
            let path = route.pattern.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix("{") ? "00000000-0000-4000-8000-000000000000" : String(segment)
            }.joined(separator: "/")
            XCTAssertEqual(matched(router, route.method, path)?.pattern, route.pattern, "\(route.method) \(path)")
        }
    }
}
