// The request pipeline without nginx: request ids, routing before CSRF, credentials, and the
// one place errors become an error page or the JSON envelope.

import FastCGI
import Foundation
import Logging
@testable import Pictor
import XCTest

final class PipelineTests: XCTestCase {
    private struct Boom: Error, CustomStringConvertible {
        var description: String { "secret internal detail" }
    }

    private func respond(_ request: Request, app: App? = nil) throws -> Response {
        try (app ?? TestApp.make()).makeResponder().respond(to: request)
    }

    /// Runs a request through the shipped pipeline steps in front of routes of the test's own.
    private func respond(_ request: Request, routes: [Route]) throws -> Response {
        let app = try TestApp.make()
        let pipeline = Pipeline(router: try Router(routes), logger: Logger(label: "test"))
        var context = RequestContext(request: request, app: app, database: DatabaseHandle(url: app.config.databaseURL))
        return pipeline.run(&context).response(&context)
    }

    func testCrossOriginCallsAreAnsweredOnlyForConfiguredOriginsAndNeverWithCredentials() throws {
        let app = try TestApp.make()
        let pipeline = Pipeline(router: try Router([.get("/api/v1/thing", { _ in .json(["ok": true]) }), .get("/page", { _ in .empty() })]),
                                logger: Logger(label: "test"), corsOrigins: ["https://app.example.com"])
        func respond(_ method: String, _ path: String, _ headers: [String: String]) -> Response {
            var context = RequestContext(request: TestApp.request(method, path, headers: headers), app: app,
                                         database: DatabaseHandle(url: app.config.databaseURL))
            return pipeline.run(&context).response(&context)
        }
        let preflight = respond("OPTIONS", "/api/v1/thing", ["Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
                                                             "Access-Control-Request-Headers": "authorization, idempotency-key"])
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.header("Access-Control-Allow-Origin"), "https://app.example.com")
        XCTAssertEqual(preflight.header("Access-Control-Allow-Headers"), "Authorization, Content-Type, Idempotency-Key, Prefer, If-None-Match")
        XCTAssertNil(preflight.header("Access-Control-Allow-Credentials"), "cookies never cross origins")

        let call = respond("GET", "/api/v1/thing", ["Origin": "https://app.example.com"])
        XCTAssertEqual(call.status, 200)
        XCTAssertEqual(call.header("Access-Control-Allow-Origin"), "https://app.example.com")
        XCTAssertEqual(call.header("Vary"), "Origin")
        XCTAssertEqual(respond("GET", "/api/v1/nothing", ["Origin": "https://app.example.com"]).header("Access-Control-Allow-Origin"),
                       "https://app.example.com", "errors are readable too")

        XCTAssertNil(respond("GET", "/api/v1/thing", ["Origin": "https://evil.example"]).header("Access-Control-Allow-Origin"))
        XCTAssertEqual(respond("OPTIONS", "/api/v1/thing", ["Origin": "https://evil.example", "Access-Control-Request-Method": "POST"]).status, 405)
        XCTAssertNil(respond("GET", "/page", ["Origin": "https://app.example.com"]).header("Access-Control-Allow-Origin"), "pages are not an API")
    }

    func testNginxRequestIDIsKeptAndAnsweredBack() throws {
        let response = try respond(TestApp.request("GET", "/privacy", params: ["REQUEST_ID": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"]))
        XCTAssertEqual(response.header("X-Request-ID"), "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    }

    func testRequestsWithoutAUsableIDGetAFreshOne() throws {
        for params in [[:], ["REQUEST_ID": "bad id\r\nX-Evil: 1"], ["REQUEST_ID": "short"]] {
            let id = try respond(TestApp.request("GET", "/privacy", params: params)).header("X-Request-ID") ?? ""
            XCTAssertNotNil(id.range(of: "^[0-9a-f]{32}$", options: .regularExpression), "\(params) → \(id)")
        }
    }

    func testWrongMethodIs405BeforeTheCSRFCheck() throws {
        let response = try respond(TestApp.request("POST", "/healthz"))
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.header("Allow"), "GET, HEAD")
        XCTAssertEqual(response.jsonObject?["error"] as? NSDictionary, ["code": "method_not_allowed",
                                                                        "message": "This address does not accept that method."])
    }

    func testFormPostWithoutTheCSRFTokenIsRefusedBeforeTheHandler() throws {
        let response = try respond(TestApp.request("POST", "/signup", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                   body: "email=a%40b.co&password=long+enough"))
        XCTAssertEqual(response.status, 403)
        XCTAssertTrue(response.text.contains("This form has expired or did not come from this site."))
        XCTAssertTrue(response.text.contains("<title>Not allowed · Pictor</title>"), "the error page uses the layout")
    }

    func testBearerCallsSkipTheCSRFCheck() throws {
        // The key cannot be checked (no database here): past CSRF, the lookup fails as an outage.
        let response = try respond(TestApp.request("POST", "/api/v1/generations",
                                                   headers: ["Authorization": "Bearer pk_test", "Content-Type": "application/json"],
                                                   body: #"{"prompt": "x"}"#))
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual((response.jsonObject?["error"] as? NSDictionary)?["code"] as? String, "service_unavailable")
        XCTAssertEqual(response.header("Retry-After"), "5")
    }

    func testAPICallsWithoutCredentialsAre401WithTheEnvelope() throws {
        for headers in [[:], ["Authorization": "Basic dXNlcjpwYXNz"], ["Authorization": "Bearer "]] {
            let response = try respond(TestApp.request("GET", "/api/v1/me", headers: headers))
            XCTAssertEqual(response.status, 401, "\(headers)")
            XCTAssertEqual(response.header("WWW-Authenticate"), "Bearer")
            XCTAssertEqual((response.jsonObject?["error"] as? NSDictionary)?["code"] as? String, "unauthorized")
        }
    }

    func testPagesThatNeedAnAccountSendBrowsersToLoginAndBack() throws {
        let response = try respond(TestApp.request("GET", "/account?before=5"))
        XCTAssertEqual(response.status, 303)
        XCTAssertEqual(response.header("Location"), "/login?next=%2Faccount%3Fbefore%3D5")
        XCTAssertNil(response.header("WWW-Authenticate"))
    }

    func testMalformedQueryIs400() throws {
        let response = try respond(TestApp.request("GET", "/gallery?q=%ZZ"))
        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(response.text.contains("The form data has malformed percent-encoding."))
    }

    func testUnexpectedErrorsAre500WithoutTheirDetails() throws {
        let routes: [Route] = [.get("/boom", { _ in throw Boom() }), .get("/api/v1/boom", { _ in throw Boom() })]
        let page = try respond(TestApp.request("GET", "/boom"), routes: routes)
        XCTAssertEqual(page.status, 500)
        XCTAssertTrue(page.text.contains("Something went wrong"))
        let api = try respond(TestApp.request("GET", "/api/v1/boom"), routes: routes)
        XCTAssertEqual(api.status, 500)
        XCTAssertEqual(api.jsonObject, ["error": ["code": "internal_error", "message": "Something went wrong on our side. Please try again."]])
        for response in [page, api] { XCTAssertFalse(response.text.contains("secret internal detail")) }
    }

    func testRedirectsAreRepliesThatCarryTheirCookies() throws {
        let routes: [Route] = [.get("/go", { context in
            context.responseCookies.append("a=b; Path=/")
            return .redirect(to: "/elsewhere")
        })]
        let response = try respond(TestApp.request("GET", "/go"), routes: routes)
        XCTAssertEqual(response.status, 303)
        XCTAssertEqual(response.header("Location"), "/elsewhere")
        XCTAssertEqual(response.header("Set-Cookie"), "a=b; Path=/")
        XCTAssertEqual(response.header("Cache-Control"), "no-store")
    }

    func testBodiesTheServerRefusedGetTheErrorPageOrEnvelope() throws {
        let responder = try TestApp.make().makeResponder()
        let page = responder.payloadTooLarge(TestApp.request("POST", "/generate"))
        XCTAssertEqual(page.status, 413)
        XCTAssertTrue(page.text.contains("That upload is too large"))
        XCTAssertNotNil(page.header("X-Request-ID"))
        let api = responder.badRequest(TestApp.request("POST", "/api/v1/generations"), reason: "The body was cut short.")
        XCTAssertEqual(api.status, 400)
        XCTAssertEqual(api.jsonObject, ["error": ["code": "invalid_request", "message": "The body was cut short."]])
    }

    func testCredentialsAreReadFromTheHeaders() {
        func credential(_ headers: [String: String]) -> Credential {
            let request = TestApp.request("GET", "/", headers: headers)
            return AuthenticationMiddleware.credential(authorization: request.header("authorization"),
                                                       sessionToken: request.cookies["pictor_session"])
        }
        XCTAssertEqual(credential([:]), .none)
        XCTAssertEqual(credential(["Authorization": "Bearer pk_abc "]), .apiKey("pk_abc"))
        XCTAssertEqual(credential(["Authorization": "Token pk_abc"]), .malformed)
        XCTAssertEqual(credential(["Authorization": "bearer pk_abc"]), .apiKey("pk_abc"), "the scheme is case-insensitive")
        XCTAssertEqual(credential(["Authorization": "BEARER pk_abc"]), .apiKey("pk_abc"))
        XCTAssertEqual(credential(["Authorization": "Bearer"]), .malformed)
        XCTAssertEqual(credential(["Authorization": "Bearer    "]), .malformed)
        XCTAssertEqual(credential(["Cookie": "pictor_session=tok"]), .sessionCookie("tok"))
        XCTAssertEqual(credential(["Cookie": "pictor_session=tok", "Authorization": "Bearer k"]), .apiKey("k"),
                       "a key wins over a cookie")
    }

    func testEachPathPrefixHasItsSurface() {
        func surface(_ path: String, accept: String? = nil) -> Surface {
            Surface(TestApp.request("GET", path, headers: accept.map { ["Accept": $0] } ?? [:]))
        }
        XCTAssertEqual(surface("/v1/images/generations"), .openAI)
        XCTAssertEqual(surface("/v1/anything-unknown"), .openAI)
        XCTAssertEqual(surface("/api/v1/me"), .api)
        XCTAssertEqual(surface("/healthz"), .api)
        XCTAssertEqual(surface("/gallery"), .pages)
        XCTAssertEqual(surface("/gallery", accept: "application/json"), .api)
        XCTAssertEqual(surface("/v1"), .pages, "only what is under /v1/")
        XCTAssertFalse(Surface.openAI.acceptsSessionCookie)
        XCTAssertTrue(Surface.api.acceptsSessionCookie)
    }

    func testOpenAIPathsAnswerErrorsInOpenAIShape() throws {
        let wrongMethod = try respond(TestApp.request("GET", "/v1/images/generations"))
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.header("Allow"), "POST")
        XCTAssertEqual(wrongMethod.jsonObject?["error"] as? NSDictionary, [
            "message": "This address does not accept that method.", "type": "invalid_request_error",
            "param": NSNull(), "code": "method_not_allowed",
        ])
        let boom = try respond(TestApp.request("GET", "/v1/boom"), routes: [.get("/v1/boom", { _ in throw Boom() })])
        XCTAssertEqual(boom.status, 500)
        XCTAssertFalse(boom.text.contains("secret"), "internals stay in the log")
        XCTAssertEqual((boom.jsonObject?["error"] as? NSDictionary)?["type"] as? String, "server_error")
    }

    func testOpenAIPostsWithOnlyACookieSkipTheCSRFCheckAndAre401() throws {
        // No key: the cookie has no authority on /v1/, so there is no token to check and no
        // database lookup either; the handler answers 401 as OpenAI's API would.
        let response = try respond(TestApp.request("POST", "/v1/images/generations",
                                                   headers: ["Cookie": "pictor_session=tok", "Content-Type": "application/json"],
                                                   body: #"{"prompt": "x"}"#))
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.header("WWW-Authenticate"), "Bearer")
        XCTAssertEqual((response.jsonObject?["error"] as? NSDictionary)?["code"] as? String, "invalid_api_key")
    }

    func testValidationErrorsNameTheOpenAIParam() {
        func detail(_ error: HTTPError) -> (type: String, param: String?, code: String?) {
            let body = OpenAIErrorBody(error).error
            return (body.type, body.param, body.code)
        }
        XCTAssertTrue(detail(.badRequest("`count` must be between 1 and 4.", field: "count")) == ("invalid_request_error", "n", "invalid_value"))
        XCTAssertTrue(detail(.badRequest("Unknown model", field: "model")) == ("invalid_request_error", "model", "model_not_found"))
        XCTAssertTrue(detail(HTTPError(402, code: "insufficient_credits", message: "short")) == ("insufficient_quota", nil, "insufficient_credits"))
        XCTAssertTrue(detail(HTTPError(429, code: "rate_limited", message: "slow down")) == ("rate_limit_error", nil, "rate_limit_exceeded"))
        XCTAssertTrue(detail(.unauthorized("no key")) == ("invalid_request_error", nil, "invalid_api_key"))
    }
}
