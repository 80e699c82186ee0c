// The product in a real browser: headless Chromium, driven by Playwright (Tests/Browser/flows.py),
// through nginx, with JavaScript and without, plus an accessibility pass and screenshots of the
// main pages in light and dark (var/screenshots/, for review). `make test` installs both tools
// (scripts/install-test-deps.sh).

import Foundation
import TestSupport
import XCTest

final class BrowserTests: XCTestCase {
    func testTheCreateLoopTheGalleryAndAPIKeysInChromium() throws {
        let python = PictorStack.root + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw XCTSkip("Chromium and Playwright are not installed: run scripts/install-test-deps.sh (make test does)")
        }
        let stack = try PictorStack(settings: ["generation.requests_per_minute": "1000"], jobWorkers: 1)
        defer { stack.stop() }
        let output: String
        do {
            output = try runCommand(python, [PictorStack.root + "/Tests/Browser/flows.py", stack.baseURL, PictorStack.root + "/var/screenshots"])
        } catch let error as CommandError {
            XCTFail("the browser flows failed:\n\(error.output)")
            return
        }
        for flow in ["flow_with_javascript", "flow_without_javascript", "accessibility_and_screenshots"] {
            XCTAssertTrue(output.contains("ok: \(flow)"), output)
        }
        let shots = (try? FileManager.default.contentsOfDirectory(atPath: PictorStack.root + "/var/screenshots")) ?? []
        XCTAssertTrue(shots.contains("generate-dark.png") && shots.contains("gallery-light.png"), "\(shots)")
    }
}
