// The /generate form and the /generations/{id} page, as a browser uses them.

import Foundation
import HTTPClient
import Imaging
import TestSupport
import XCTest

final class GenerationPagesTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack(jobWorkers: 1) }
    override class func tearDown() { stack.stop(); stack = nil }

    private func signedUp() throws -> Browser {
        let browser = Browser(base: stack.baseURL)
        try browser.signUp(email: "page-\(UUID().uuidString.prefix(8).lowercased())@example.com")
        return browser
    }

    /// Follows the page until the image is done (what the meta refresh does in a browser).
    private func finishedPage(_ browser: Browser, _ path: String) throws -> String {
        var html = ""
        try stack.waitFor("the generation page to show a result") {
            html = (try? browser.get(path).text) ?? ""
            return !html.contains(#"http-equiv="refresh""#)
        }
        return html
    }

    func testABatchIsShownTogetherAndEachImageStandsOnItsOwn() throws {
        let browser = try signedUp()
        let ids = try browser.generate([("prompt", "three paper boats"), ("model", "flux-schnell"), ("size", "512x512"), ("count", "3")])
        XCTAssertEqual(ids.count, 3)
        let first = "/generations/" + ids[0]
        let html = try finishedPage(browser, first)
        XCTAssertTrue(html.contains("Image 1 of 3 from one request"), html)
        let links = html.ranges(of: #/<li class="batch-item[^"]*">\s*<a href="(/generations/[0-9a-f-]{36})"/#).map { String(html[$0]) }
        XCTAssertEqual(links.count, 3)
        XCTAssertTrue(html.contains(#"aria-current="page""#))
        XCTAssertTrue(html.contains(">Ready</span>"), "plain words for the status")

        let me = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/generations?limit=3").body)) as? [String: Any]
        let batchIDs = Set(((me?["data"] as? [[String: Any]]) ?? []).compactMap { $0["batch_id"] as? String })
        XCTAssertEqual(batchIDs.count, 1, "the API names the batch the three share")
        let listed = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/generations?batch_id=" + batchIDs.first!).body)) as? [String: Any]
        XCTAssertEqual(Set(((listed?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }), Set(ids), "and lists them by it")
        XCTAssertEqual(try browser.get("/api/v1/generations?batch_id=nope").status, 400)

        // Each image can be deleted on its own; the others stay, and their page counts two.
        let second = try XCTUnwrap(links.compactMap { $0.firstMatch(of: #/\/generations\/[0-9a-f-]{36}/#).map { String($0.output) } }
            .first { $0 != first })
        XCTAssertEqual(try browser.post(second + "/delete", [], csrfFrom: first).status, 303)
        XCTAssertTrue(try browser.get(first).text.contains("Image 1 of 2 from one request"))
    }

    func testTheFormShowsTheTotalTheBalanceTheChosenModelsSizesAndAPromptCounter() throws {
        let browser = try signedUp()
        let form = try browser.get("/generate").text
        XCTAssertTrue(form.contains("Total: <strong data-total>1 credit</strong> <span class=\"muted\" data-breakdown>(1 image × 1 credit)</span> · your balance: <strong>50</strong> credits"), form)
        XCTAssertTrue(form.contains(#"<p class="cost-warning" data-cost-warning hidden role="status">"#))
        XCTAssertTrue(form.contains(#"<span class="char-count" id="gen-prompt-count" aria-live="polite">0 / 1,000</span>"#))
        XCTAssertFalse(form.contains(#"maxlength="1000" placeholder="a lighthouse"#), "the prompt is never cut by the browser")
        XCTAssertTrue(form.contains("1024x1024=1024 × 1024 — square, saved at 2048 × 2048|"), "the HD model's sizes say what file they make")
        XCTAssertTrue(form.contains(#"<script src="/static/generate.js?v="#))

        // The HD model's form, after a refused request: its own sizes only, with the true output size.
        let hd = try browser.post("/generate", [("prompt", "a castle"), ("model", "flux-schnell-hd"), ("size", "1344x768"), ("count", "4")],
                                  csrfFrom: "/generate")
        XCTAssertEqual(hd.status, 400, hd.text)
        XCTAssertTrue(hd.text.contains(#"<option value="1024x1024">1024 × 1024 — square, saved at 2048 × 2048</option>"#), hd.text)
        XCTAssertFalse(hd.text.contains(#"<option value="1344x768""#), "a size this model refuses is not offered")
        XCTAssertTrue(hd.text.contains("Total: <strong data-total>12 credits</strong> <span class=\"muted\" data-breakdown>(4 images × 3 credits)</span>"))

        // A balance that does not cover the request: the warning shows, with the way to more credits.
        let poor = Browser(base: stack.baseURL)
        let email = "poor-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try poor.signUp(email: email)
        _ = try runCommand(PictorStack.binary, ["admin", "revoke", "--config", stack.configPath, "--email", email, "--amount", "47", "--reason", "test"])
        let refused = try poor.post("/generate", [("prompt", "a castle"), ("model", "sdxl"), ("size", "512x512"), ("count", "2")], csrfFrom: "/generate")
        XCTAssertEqual(refused.status, 402)
        XCTAssertTrue(refused.text.contains(#"<p class="cost-warning" data-cost-warning role="status">Your balance does not cover this request"#), refused.text)
        XCTAssertTrue(refused.text.contains(#"<a href="/pricing">buy credits</a>"#))
        XCTAssertTrue(refused.text.contains(">a castle</textarea>"), "the form keeps what was typed")
    }

    func testTheResultsAppearOnTheFormWhichKeepsItsSettingsAndVaryAndRecentPromptsWork() throws {
        let browser = try signedUp()
        let posted = try browser.post("/generate", [("prompt", "a heron at dawn"), ("negative_prompt", "blur"), ("model", "sdxl"),
                                                    ("size", "768x1024"), ("count", "2")], csrfFrom: "/generate")
        XCTAssertEqual(posted.status, 303)
        let location = try XCTUnwrap(posted.header("location"))
        XCTAssertTrue(location.hasPrefix("/generate?batch=") && location.hasSuffix("#results"), location)
        let path = String(location.prefix { $0 != "#" })

        // Without JavaScript the page reloads itself until both images are in.
        var html = try browser.get(path).text
        let ids = html.matches(of: #/data-result="([0-9a-f-]{36})"/#).map { String($0.output.1) }
        XCTAssertEqual(ids.count, 2)
        try stack.waitFor("both results in place") {
            html = (try? browser.get(path).text) ?? ""
            return !html.contains(#"http-equiv="refresh""#)
        }
        XCTAssertTrue(html.contains("Your 2 new images"))
        XCTAssertEqual(html.matches(of: try Regex(#"<a class="result-media" href="/generations/[0-9a-f-]{36}"[^>]*>\s*<img src=""#)).count, 2, html)
        XCTAssertTrue(html.contains(">a heron at dawn</textarea>"), "the form keeps the prompt")
        XCTAssertTrue(html.contains(">blur</textarea>"))
        XCTAssertTrue(html.contains(#"value="sdxl" checked"#))
        XCTAssertTrue(html.contains(#"<option value="768x1024" selected>"#))
        XCTAssertTrue(html.contains(#"<option value="2" selected>2</option>"#))
        XCTAssertTrue(html.contains(#"href="/generate?remix=\#(ids[0])""#), "Reuse settings")
        XCTAssertTrue(html.contains(#"<h2 class="card-title" id="gen-recent-title">Recent prompts</h2>"#))

        // Vary: one more image with the same settings and another seed.
        let varied = try browser.generate([("prompt", "a heron at dawn"), ("negative_prompt", "blur"), ("model", "sdxl"),
                                           ("size", "768x1024"), ("count", "1")])
        XCTAssertEqual(varied.count, 1)
        let seeds = try browser.get("/api/v1/generations?limit=3").body
        let objects = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(seeds)) as? [String: Any])?["data"] as? [[String: Any]])
        XCTAssertEqual(objects.map { $0["width"] as? Int }, [768, 768, 768])
        XCTAssertEqual(Set(objects.compactMap { $0["batch_id"] as? String }).count, 2, "a new request, a new batch")
        XCTAssertEqual(Set(objects.compactMap { $0["seed"] as? Int }).count, 3, "every image its own seed")

        // Another visitor cannot read this batch through the workspace.
        let stranger = try signedUp()
        XCTAssertFalse(try stranger.get(path).text.contains("data-result="))
    }

    func testFormProducesARealImageShownOnItsPage() throws {
        let browser = try signedUp()
        let form = try browser.get("/generate")
        XCTAssertEqual(form.status, 200)
        XCTAssertTrue(form.text.contains("flux-schnell"))
        XCTAssertTrue(form.text.contains("Preview — offline generator"))

        let ids = try browser.generate([("prompt", "a paper boat on a pond"), ("model", "sdxl"), ("size", "512x512"), ("count", "1"), ("seed", "99")])
        XCTAssertEqual(ids.count, 1)
        let location = "/generations/" + ids[0]

        let pending = try browser.get(location)
        XCTAssertEqual(pending.status, 200)
        let html = try finishedPage(browser, location)
        XCTAssertTrue(html.contains("a paper boat on a pond"))
        let id = String(location.dropFirst("/generations/".count))
        XCTAssertTrue(html.contains("/private-media/"), "the image is linked at a URL nginx checks itself (MediaLinkTests)")
        let image = try browser.get("/generations/\(id)/image")
        XCTAssertEqual(image.status, 200)
        let info = try Thumbnailer.inspect(image.body)
        XCTAssertEqual([info.width, info.height], [512, 512])
        let xmp = try XCTUnwrap(try Provenance.xmp(of: image.body))
        XCTAssertTrue(xmp.contains(#"DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia""#),
                      "the offline preview is marked as drawn by an algorithm, not by a trained model: \(xmp)")
        XCTAssertTrue(xmp.contains(#"xmp:CreatorTool="Pictor (Pictor) — offline preview generator, not AI""#), xmp)
        XCTAssertTrue(html.contains("/generate?remix="))
        let me = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/me").body)) as? [String: Any]
        XCTAssertEqual(me?["credits"] as? Int, 48, "sdxl costs 2")
    }

    func testPromptsAreEscapedOnEveryPage() throws {
        let browser = try signedUp()
        let prompt = #"<script>alert("pwned")</script> & <img src=x onerror=alert(1)>"#
        let id = try XCTUnwrap(try browser.generate([("prompt", prompt), ("model", "flux-schnell"), ("size", "512x512")]).first)
        let location = "/generations/" + id
        for path in [location, "/generate?remix=" + id] {
            let html = try finishedPage(browser, path)
            XCTAssertFalse(html.contains("<script>alert"), path)
            XCTAssertFalse(html.contains("<img src=x"), path)
            XCTAssertTrue(html.contains("&lt;script&gt;alert("), path)
        }
    }

    func testInvalidFormShowsTheErrorAndChargesNothing() throws {
        let browser = try signedUp()
        for (fields, message) in [
            ([("prompt", "   "), ("model", "flux-schnell")], "Write a prompt"),
            ([("prompt", "x"), ("model", "nope")], "Unknown model"),
            ([("prompt", "x"), ("size", "999x999")], "cannot make 999x999"),
            ([("prompt", "x"), ("count", "9")], "`count` must be between 1 and 4"),
            ([("prompt", "x"), ("seed", "abc")], "`seed` must be a whole number"),
        ] {
            let response = try browser.post("/generate", fields, csrfFrom: "/generate")
            XCTAssertEqual(response.status, 400, message)
            XCTAssertTrue(response.text.contains(message), message)
        }
        let me = try JSONSerialization.jsonObject(with: Data(browser.get("/api/v1/me").body)) as? [String: Any]
        XCTAssertEqual(me?["credits"] as? Int, 50)
    }

    func testGenerationPagesBelongToTheirOwner() throws {
        let owner = try signedUp()
        let location = "/generations/" + (try XCTUnwrap(try owner.generate([("prompt", "private"), ("size", "512x512")]).first))
        let stranger = try signedUp()
        XCTAssertEqual(try stranger.get(location).status, 404)
        XCTAssertEqual(try Browser(base: stack.baseURL).get(location).status, 303, "logged out → login")
        XCTAssertEqual(try stranger.post(location + "/delete", [], csrfFrom: "/generate").status, 404)
        XCTAssertEqual(try owner.get(location).status, 200)
    }

    func testGenerateNeedsLogin() throws {
        let response = try Browser(base: stack.baseURL).get("/generate")
        XCTAssertEqual(response.status, 303)
        XCTAssertEqual(response.header("location"), "/login?next=%2Fgenerate")
    }
}
