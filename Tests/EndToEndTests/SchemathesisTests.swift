// The API contract, tested as a client generated from it would use the API: Schemathesis runs
// against a live stack through nginx with every check, positive and negative cases, and its
// stateful phase, bounded to well under a minute; scripts/schemathesis-long.sh runs it with many
// more examples.

import Foundation
import TestSupport
import XCTest

final class SchemathesisTests: XCTestCase {
    func testTheServerKeepsItsOpenAPIDocument() throws {
        let schemathesis = PictorStack.root + "/.venv/bin/schemathesis"
        guard FileManager.default.isExecutableFile(atPath: schemathesis) else {
            throw XCTSkip("Schemathesis is not installed: run scripts/install-test-deps.sh (make test does)")
        }
        // Room for every generated request: no rate limit in the way, credits for every image.
        // No blocklist: which words it holds is the operator's, not the document's (a refused
        // prompt is a documented 422, tested in ModerationThroughTheStackTests).
        let stack = try PictorStack(settings: ["generation.requests_per_minute": "100000", "generation.job_timeout": "20",
                                               "generation.lease": "30", "moderation.blocklist": ""], jobWorkers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        _ = try runCommand(PictorStack.binary, ["admin", "grant", "--config", stack.configPath, "--email", user.email,
                                                "--amount", "1000000", "--reason", "contract tests"])
        let examples = ProcessInfo.processInfo.environment["PICTOR_SCHEMATHESIS_EXAMPLES"] ?? "15"
        let output: String
        do {
            output = try runCommand(schemathesis, [
                "run", stack.baseURL + "/api/v1/openapi.json", "--url", stack.baseURL,
                "-H", "Authorization: Bearer \(user.key)", "--checks", "all", "--mode", "all",
                // /v1/images/generations answers once its images are made: up to job_timeout + 15 s.
                "--max-examples", examples, "--seed", "1", "--request-timeout", "60", "--max-response-time", "60", "--no-color",
                "--phases", "examples,coverage,fuzzing,stateful", "--suppress-health-check", "all",
            ])
        } catch let error as CommandError {
            XCTFail("Schemathesis found the server and its document apart:\n\(error.output)")
            return
        }
        XCTAssertTrue(output.contains("No issues found") || output.contains("passed"), output)
    }
}
