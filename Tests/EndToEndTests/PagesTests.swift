// Pages, static files, errors and limits, through nginx as a browser sees them.

import Foundation
import HTTPClient
import TestSupport
import XCTest

final class PagesTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    let client = HTTPClient(connectTimeout: 2, timeout: 10)

    override class func setUp() {
        stack = try! PictorStack()
    }

    override class func tearDown() {
        stack.stop()
        stack = nil
    }

    private var base: String { Self.stack.baseURL }

    func testLandingPageRendersWithSecurityHeaders() throws {
        let response = try client.get(base + "/")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "text/html; charset=utf-8")
        XCTAssertTrue(response.text.contains("<!doctype html>") || response.text.contains("<!DOCTYPE html>"))
        XCTAssertTrue(response.text.contains("Pictor"))
        XCTAssertTrue(response.text.contains("50"), "the free credits are on the landing page")
        XCTAssertTrue(response.text.range(of: #"/static/pictor\.css\?v=[0-9a-f]{12}""#, options: .regularExpression) != nil,
                      "the stylesheet link carries its content hash")
        let csp = try XCTUnwrap(response.header("content-security-policy"))
        XCTAssertTrue(csp.contains("script-src 'self'"))
        XCTAssertTrue(csp.contains("frame-ancestors 'none'"))
        XCTAssertEqual(response.headers(named: "x-content-type-options"), ["nosniff"])
        XCTAssertEqual(response.header("referrer-policy"), "strict-origin-when-cross-origin")
        XCTAssertNil(response.header("x-powered-by"))
    }

    func testPricingShowsPlansPacksAndWhatEachBuysAndSaysPaymentsAreNotConfigured() throws {
        let response = try client.get(base + "/pricing")
        XCTAssertEqual(response.status, 200)
        let page = response.text
        for text in ["Free", "Starter", "Pro", "Business", "$0", "$9", "$29", "$79", "<strong>2,000</strong> credits a month", "<strong>8,000</strong> credits a month",
                     "250 images with Stable Diffusion XL (2 credits each)", "2,666 images with FLUX.1 schnell HD (3 credits each)",
                     "100 credits", "$5", "Payments are not configured on this instance yet",
                     #"href="/signup?next=%2Fpricing""#, #"aria-current="page">Pricing"#] {
            XCTAssertTrue(page.contains(text), text)
        }
        XCTAssertFalse(page.contains("Your plan"), "nobody is signed in")
        XCTAssertTrue(page.contains(#"aria-disabled="true">Payments not configured</span>"#), "the buttons say why they do nothing")
        XCTAssertFalse(page.contains("<form"), "no button takes money while payments are not configured")

        let browser = Browser(base: base)
        XCTAssertEqual(try browser.signUp(email: uniqueEmail()).status, 303)
        let signedIn = try browser.get("/pricing").text
        XCTAssertTrue(signedIn.contains("Your plan"))
        let free = try XCTUnwrap(signedIn.range(of: #"id="plan-free""#))
        let starter = try XCTUnwrap(signedIn.range(of: #"id="plan-starter""#))
        XCTAssertNotNil(signedIn.range(of: "Current plan", range: free.upperBound..<starter.lowerBound), "the Free plan is marked")
        XCTAssertFalse(signedIn.contains(#"action="/billing/checkout""#))

        // Without Stripe keys nothing can be bought, and Stripe's deliveries are asked to come back later.
        let checkout = try browser.post("/billing/checkout", [("plan", "pro")], csrfFrom: "/pricing")
        XCTAssertEqual(checkout.status, 503)
        XCTAssertTrue(checkout.text.contains("Payments are not configured on this instance"))
        let webhook = try client.send(HTTPRequest(method: "POST", url: base + "/webhooks/stripe",
                                                  headers: [("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=00")],
                                                  body: Array(#"{"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}}"#.utf8)))
        XCTAssertEqual(webhook.status, 503)
        XCTAssertTrue(webhook.text.contains(#""code":"webhooks_not_configured""#), webhook.text)
    }

    func testLegalPagesRender() throws {
        let privacy = try client.get(base + "/privacy")
        XCTAssertEqual(privacy.status, 200)
        XCTAssertTrue(privacy.text.contains("Privacy"))
        XCTAssertTrue(privacy.text.contains("Stripe"))
        let terms = try client.get(base + "/terms")
        XCTAssertEqual(terms.status, 200)
        XCTAssertTrue(terms.text.contains("Terms"))
    }

    func testHeadRequestGetsHeadersOnly() throws {
        let response = try client.send(HTTPRequest(method: "HEAD", url: base + "/"))
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.body.isEmpty)
    }

    func testStaticFilesComeFromNginxWithImmutableCaching() throws {
        let response = try client.get(base + "/static/pictor.css")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "text/css")
        XCTAssertEqual(response.header("cache-control"), "public, max-age=31536000, immutable")
        let css = try String(contentsOfFile: PictorStack.root + "/public/pictor.css", encoding: .utf8)
        XCTAssertEqual(response.text, css)
    }

    func testSignInProvidersAreOfferedOnlyWhenConfigured() throws {
        let browser = Browser(base: base)
        for page in ["/login", "/signup"] {
            let text = try browser.get(page).text
            XCTAssertFalse(text.contains("Continue with") || text.contains("/auth/"), page)
        }
        let started = try browser.post("/auth/google", [], csrfFrom: "/login")
        XCTAssertEqual(started.status, 404)
        XCTAssertTrue(started.text.contains("This instance does not offer that way of signing in."))
        XCTAssertEqual(try browser.get("/auth/github/callback?code=x&state=y").status, 404)
        XCTAssertEqual(try browser.get("/auth/gitlab/callback?code=x&state=y").status, 404)
        try browser.signUp(email: uniqueEmail())
        XCTAssertFalse(try browser.get("/account").text.contains("Sign-in methods"), "nothing to connect")
    }

    func testUnknownPathGetsTheStyled404Page() throws {
        let response = try client.get(base + "/no/such/page")
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.header("content-type"), "text/html; charset=utf-8")
        XCTAssertTrue(response.text.contains("Page not found"))
        XCTAssertTrue(response.text.contains("/static/pictor.css"), "the 404 uses the site layout")
    }

    func testUnknownAPIPathGetsTheJSONErrorEnvelope() throws {
        let response = try client.get(base + "/api/v1/nothing-here")
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.header("content-type"), "application/json")
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: [String: String]]
        XCTAssertEqual(json?["error"]?["code"], "not_found")
        XCTAssertNotNil(json?["error"]?["message"])
    }

    func testWrongMethodGets405WithAllow() throws {
        let response = try client.send(HTTPRequest(method: "DELETE", url: base + "/privacy"))
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.header("allow"), "GET, HEAD", "HEAD is answered wherever GET is")
    }

    func testHealthzReportsTheDatabase() throws {
        let response = try client.get(base + "/healthz")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, #"{"database":"ok","status":"ok"}"#)
        XCTAssertEqual(response.header("cache-control"), "no-store")
    }

    func testBodyOverTheAppLimitGets413FromTheApp() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 1_500_000)   // app limit 1 MiB, nginx 2 MiB
        let response = try client.send(HTTPRequest(method: "POST", url: base + "/api/v1/anything",
                                                   headers: [("Content-Type", "application/json")], body: body))
        XCTAssertEqual(response.status, 413)
        XCTAssertTrue(response.text.contains(#""code":"payload_too_large""#))
        XCTAssertEqual(try client.get(base + "/healthz").status, 200, "the connection and pool carry on")
    }

    func testBodyOverTheNginxLimitGets413FromNginx() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 3_000_000)
        let response = try client.send(HTTPRequest(method: "POST", url: base + "/", headers: [("Content-Type", "text/plain")], body: body))
        XCTAssertEqual(response.status, 413)
        XCTAssertTrue(response.text.contains("too large"))
        XCTAssertEqual(response.header("cache-control"), "no-store", "an error page is never cached")
        XCTAssertNil(response.header("etag"))
        XCTAssertTrue(response.header("content-type")?.hasPrefix("text/html") ?? false)
    }

    func testErrorsNginxAnswersItselfUnderTheAPIAreTheJSONEnvelope() throws {
        let body = [UInt8](repeating: UInt8(ascii: "a"), count: 3_000_000)
        let tooLarge = try client.send(HTTPRequest(method: "POST", url: base + "/api/v1/generations",
                                                   headers: [("Content-Type", "application/json")], body: body))
        XCTAssertEqual(tooLarge.status, 413)
        XCTAssertEqual(tooLarge.header("content-type"), "application/json")
        XCTAssertEqual(tooLarge.header("cache-control"), "no-store")
        XCTAssertNil(tooLarge.header("etag"))
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(tooLarge.body)) as? NSDictionary,
                       ["error": ["code": "payload_too_large", "message": "The request body is larger than this server accepts."]])

        let trace = try client.send(HTTPRequest(method: "TRACE", url: base + "/v1/models"))
        XCTAssertEqual(trace.status, 405)
        XCTAssertEqual(trace.header("allow"), "GET, HEAD, POST, PATCH, DELETE")
        XCTAssertTrue(trace.text.contains(#""code":"method_not_allowed""#), trace.text)

        let nul = try client.get(base + "/api/v1/%00")
        XCTAssertEqual(nul.status, 400)
        XCTAssertTrue(nul.text.contains(#""code":"invalid_request""#), nul.text)
        XCTAssertEqual(nul.header("cache-control"), "no-store")
    }

    func testManySequentialRequestsOverOneKeptAliveConnection() throws {
        var newConnections = 0
        for index in 0..<500 {
            let response = try client.get(base + (index % 2 == 0 ? "/" : "/healthz"))
            XCTAssertEqual(response.status, 200)
            if index > 0 { newConnections += response.newConnections }
        }
        XCTAssertEqual(newConnections, 0, "every request after the first reused the connection")
    }

    func testEveryRequestIsLoggedOnOneStructuredLine() throws {
        let response = try client.get(base + "/terms?from=log-test")
        let requestID = try XCTUnwrap(response.header("x-request-id"))
        let pattern = #"method=GET path=/terms status=200 ms=[0-9.]+ route="GET /terms" request_id=\#(requestID)"#
        try Self.stack.waitFor("the access log line") {
            Self.stack.pictorLog().range(of: pattern, options: .regularExpression) != nil
        }
        XCTAssertFalse(Self.stack.pictorLog().contains("log-test"), "the query string is never logged")
    }
}
