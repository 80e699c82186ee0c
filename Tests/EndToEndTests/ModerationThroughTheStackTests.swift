// Prompt moderation through nginx: a refused prompt costs nothing, creates nothing, never reaches
// the provider, is refused in each surface's own words, and counts in the rate limit.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class ModerationThroughTheStackTests: XCTestCase {
    nonisolated(unsafe) static var openai: FakeOpenAIImages!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }

    override class func setUp() {
        openai = FakeOpenAIImages()
        stack = try! PictorStack(settings: [
            "model.dalle.provider": "openai", "model.dalle.cost": "2", "model.dalle.sizes": "512x512",
            "provider.openai.url": openai.url, "provider.openai.key": openai.key!,
            "generation.requests_per_minute": "3",
        ], jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop()
        openai.stop()
    }

    private func generations(of user: APIUser) throws -> Int {
        try Connection(stack.databaseURL).query("""
            SELECT count(*)::int AS n FROM generations WHERE user_id = (SELECT id FROM users WHERE email = $1)
            """, [user.email])[0].get("n")
    }

    /// The user's count in the current rate-limit window (a first request in any window makes it 1).
    private func rateCount(_ user: APIUser) throws -> Int {
        try Connection(stack.databaseURL).query("""
            SELECT coalesce(max(count), 0)::int AS n FROM rate_limits
            WHERE key = 'generate:user:' || (SELECT id FROM users WHERE email = $1)
            """, [user.email])[0].get("n")
    }

    func testARefusedPromptCostsNothingCreatesNothingAndNeverReachesTheProvider() throws {
        let user = try APIUser.create(on: stack)
        let calls = Self.openai.server.requests.count
        let refused = try user.post(#"{"prompt": "a n.u.d.e portrait", "model": "dalle", "width": 512, "height": 512}"#)
        XCTAssertEqual(refused.status, 422)
        XCTAssertEqual(try rateCount(user), 1, "the refusal counted in the rate limit")
        let error = try XCTUnwrap(user.object(refused)["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "content_rejected")
        XCTAssertEqual(error["message"] as? String, "This prompt was refused by the content rules of this service. Nothing was charged.")

        let openAI = try user.client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/v1/images/generations",
                                                      headers: [user.auth, ("Content-Type", "application/json")],
                                                      body: Array(#"{"prompt": "P0RN", "model": "dalle", "size": "512x512"}"#.utf8)))
        XCTAssertEqual(openAI.status, 400, "as OpenAI answers a refused prompt")
        let openAIError = try XCTUnwrap(user.object(openAI)["error"] as? [String: Any])
        XCTAssertEqual(openAIError["code"] as? String, "content_policy_violation")
        XCTAssertEqual(openAIError["param"] as? String, "prompt")

        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.logIn(email: user.email, password: "long enough password").status, 303)
        let page = try browser.post("/generate", [("prompt", "hentai"), ("model", "dalle"), ("size", "512x512")], csrfFrom: "/generate")
        XCTAssertEqual(page.status, 422)
        XCTAssertTrue(page.text.contains(#"<p class="form-error" id="generate-error" role="alert">This prompt was refused by the content rules of this service. Nothing was charged.</p>"#))
        XCTAssertTrue(page.text.contains(">hentai</textarea>"), "the prompt stays in the form")

        XCTAssertEqual(try user.books().balance, 50)
        XCTAssertEqual(try user.books().usages, 0)
        XCTAssertEqual(try generations(of: user), 0)
        XCTAssertEqual(Self.openai.server.requests.count, calls, "the provider never heard of it")
        XCTAssertTrue(stack.pictorLog().contains("refused: blocklist entry \"nude\""))
        XCTAssertFalse(stack.pictorLog().contains("n.u.d.e portrait"), "the log names the rule, not the prompt")

        XCTAssertGreaterThanOrEqual(try rateCount(user), 1, "refusals count in the rate limit")
    }

    func testAnInnocentPromptThatContainsAListedWordIsMade() throws {
        let user = try APIUser.create(on: stack)
        let made = try user.post(#"{"prompt": "a cocktail in Scunthorpe", "model": "dalle", "width": 512, "height": 512}"#)
        XCTAssertEqual(made.status, 202, made.text)
        let id = try XCTUnwrap(user.object(made)["id"] as? String)
        XCTAssertEqual(try user.finished(id)["status"] as? String, "succeeded")
        XCTAssertEqual(try user.books().balance, 48)
    }
}
