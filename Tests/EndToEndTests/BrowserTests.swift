// The product in a real browser: headless Chromium, driven by Playwright (Tests/Browser/flows.py),
// through nginx, with JavaScript and without, plus an accessibility pass and screenshots of the
// main pages in light and dark (var/screenshots/, for review). `make test` installs both tools
// (scripts/install-test-deps.sh).

import Foundation
import TestSupport
import XCTest

final class BrowserTests: XCTestCase {
    func testTheCreateLoopTheGalleryAPIKeysAndTheFormsThatLeadToOtherSitesInChromium() throws {
        let python = PictorStack.root + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw XCTSkip("Chromium and Playwright are not installed: run scripts/install-test-deps.sh (make test does)")
        }
        // Sign-in with Google against a local authorization server, and payments against a
        // local Stripe, for the forms that lead to other sites.
        let provider = FakeOAuth(), stripe = FakeStripe(prices: ["price_starter"])
        defer { provider.stop(); stripe.stop() }
        provider.consent("google", as: FakeOAuth.Person(subject: "browser-google", email: uniqueEmail()))
        let stack = try PictorStack(settings: provider.settings().merging([
            "generation.requests_per_minute": "1000",
            "stripe.api_base": stripe.url, "stripe.secret_key": stripe.secretKey, "stripe.webhook_secret": stripe.webhookSecret,
            "plan.free.price": "0", "plan.free.credits": "50",
            "plan.starter.price": "9", "plan.starter.credits": "500", "plan.starter.stripe_price": "price_starter",
        ]) { $1 }, jobWorkers: 1)
        defer { stack.stop() }
        let output: String
        do {
            output = try runCommand(python, [PictorStack.root + "/Tests/Browser/flows.py", stack.baseURL, PictorStack.root + "/var/screenshots"])
        } catch let error as CommandError {
            XCTFail("the browser flows failed:\n\(error.output)")
            return
        }
        for flow in ["flow_with_javascript", "flow_without_javascript", "flow_providers_and_payments", "accessibility_and_screenshots"] {
            XCTAssertTrue(output.contains("ok: \(flow)"), output)
        }
        let shots = (try? FileManager.default.contentsOfDirectory(atPath: PictorStack.root + "/var/screenshots")) ?? []
        XCTAssertTrue(shots.contains("generate-dark.png") && shots.contains("gallery-light.png"), "\(shots)")
    }
}
