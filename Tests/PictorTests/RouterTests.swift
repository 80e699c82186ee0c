// Route matching: exact paths, captured parameters, 404 and 405.

import FastCGI
@testable import Pictor
import XCTest

final class RouterTests: XCTestCase {
    private func router() -> Router {
        var router = Router()
        router.get("/", { _ in Response(status: 200, contentType: "text/plain", body: "home") })
        router.get("/generations/{id}", { context in
            Response(status: 200, contentType: "text/plain", body: "show \(context.parameters["id"]!)")
        })
        router.post("/generations/{id}/delete", { _ in Response(status: 303) })
        return router
    }

    private func body(_ match: Router.Match, parameters expected: [String: String]) -> Bool {
        guard case .found(_, let parameters) = match else { return false }
        return parameters == expected
    }

    func testMatchesExactAndPatternedRoutes() {
        let router = router()
        XCTAssertTrue(body(router.match(method: "GET", path: "/"), parameters: [:]))
        XCTAssertTrue(body(router.match(method: "GET", path: "/generations/abc-123"), parameters: ["id": "abc-123"]))
        XCTAssertTrue(body(router.match(method: "POST", path: "/generations/abc/delete"), parameters: ["id": "abc"]))
    }

    func testDecodesPercentEncodedParameters() {
        XCTAssertTrue(body(router().match(method: "GET", path: "/generations/a%20b"), parameters: ["id": "a b"]))
    }

    func testPathTricksDoNotMatchOtherRoutes() {
        let router = router()
        guard case .notFound = router.match(method: "GET", path: "/generations/../etc/passwd") else {
            return XCTFail("a traversal path matched a route")
        }
        guard case .notFound = router.match(method: "GET", path: "/generations/%ZZ") else {
            return XCTFail("malformed percent-encoding matched")
        }
    }

    func testHeadUsesTheGetHandler() {
        XCTAssertTrue(body(router().match(method: "HEAD", path: "/"), parameters: [:]))
    }

    func testUnknownPathIsNotFound() {
        guard case .notFound = router().match(method: "GET", path: "/nope") else { return XCTFail() }
    }

    func testWrongMethodListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allowed) = router().match(method: "DELETE", path: "/") else { return XCTFail() }
        XCTAssertEqual(allowed, ["GET"])
        guard case .methodNotAllowed(let patterned) = router().match(method: "POST", path: "/generations/x") else { return XCTFail() }
        XCTAssertEqual(patterned, ["GET"])
    }
}
