// Templates render with the layout, escape what they show, and errors take the right shape.

import FastCGI
import Logging
@testable import Pictor
import XCTest

final class ViewsTests: XCTestCase {
    private func app() throws -> App { try TestApp.make() }

    private func respond(_ app: App, _ method: String, _ uri: String, accept: String = "text/html") -> Response {
        app.makeResponder().respond(to: Request(params: ["REQUEST_METHOD": method, "REQUEST_URI": uri, "HTTP_ACCEPT": accept]))
    }

    func testEscapesHTMLInValues() throws {
        let response = try app().views.render(ErrorPage(.badRequest("<script>alert('x')</script> & \"q\"")), status: 400, viewer: nil)
        let html = String(decoding: response.body, as: UTF8.self)
        XCTAssertFalse(html.contains("<script>alert"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert("))
        XCTAssertTrue(html.contains("&amp; &quot;q&quot;"))
    }

    func testPagesUseTheLayoutAndVersionedStylesheet() throws {
        let response = respond(try app(), "GET", "/privacy")
        XCTAssertEqual(response.status, 200)
        let html = String(decoding: response.body, as: UTF8.self)
        XCTAssertTrue(html.contains("<title>Privacy policy · Pictor</title>"))
        XCTAssertNotNil(html.range(of: #"/static/pictor\.css\?v=[0-9a-f]{12}"#, options: .regularExpression))
        XCTAssertEqual(response.header("Content-Security-Policy")?.contains("default-src 'self'"), true)
        XCTAssertTrue(StaticAssets(publicDirectory: PictorPaths.root + "/public").galleryScriptURL
            .hasPrefix("/static/gallery.js?v="), "scripts are cached a year too, so their links carry a hash")
    }

    func testFormsMayLeadOnlyToTheConfiguredProvidersAndStripe() throws {
        func policy(_ app: App) -> String { respond(app, "GET", "/privacy").header("Content-Security-Policy") ?? "" }
        XCTAssertTrue(policy(try app()).contains("form-action 'self'; frame-ancestors 'none'"), "this site only, by default")
        let configured = try TestApp.make { config in
            config.signIn.google.clientID = "id"
            config.signIn.google.clientSecret = "secret"
            config.signIn.github.clientID = "id"
            config.signIn.github.clientSecret = "secret"
            config.signIn.github.authorizeURL = "http://127.0.0.1:8444/login/oauth/authorize"
            config.billing.stripe.secretKey = "sk_test_x"
            config.billing.stripe.webhookSecret = "whsec_x"
        }
        // Browsers hold a form's redirects to form-action: "Continue with …" and "Subscribe" go on to these.
        XCTAssertTrue(policy(configured).contains("form-action 'self' https://accounts.google.com http://127.0.0.1:8444 "
                                                  + "https://checkout.stripe.com https://billing.stripe.com; "), policy(configured))
    }

    func testLandingShowsModelsAndPlansFromConfig() throws {
        let html = String(decoding: respond(try app(), "GET", "/").body, as: UTF8.self)
        for text in ["flux-schnell", "sdxl", "flux-schnell-hd", "3 credits", "Starter", "$29", "2,000", "Preview — offline generator"] {
            XCTAssertTrue(html.contains(text), "landing page lacks \(text)")
        }
    }

    func testNotFoundIsAStyledPageForBrowsersAndJSONForAPIClients() throws {
        let app = try app()
        let page = respond(app, "GET", "/missing")
        XCTAssertEqual(page.status, 404)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("Page not found"))
        let api = respond(app, "GET", "/missing", accept: "application/json")
        XCTAssertEqual(api.status, 404)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(api.body)) as? NSDictionary,
                       ["error": ["code": "not_found", "message": "The page you asked for does not exist."]])
    }

    func testDatabaseOutageIs503ForHealthz() throws {
        let response = respond(try app(), "GET", "/healthz")
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(response.body)) as? NSDictionary,
                       ["database": "unreachable", "status": "unavailable"])
        XCTAssertEqual(response.header("Retry-After"), "5")
    }

    func testMissingTemplateFailsAtStart() throws {
        let directory = NSTemporaryDirectory() + "templates-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "{{title}}".write(toFile: directory + "/layout.mustache", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Views(directory: directory, publicDirectory: directory, site: Config.Site())) { error in
            XCTAssertTrue("\(error)".contains("partials/header.mustache is missing"))
        }
    }
}
