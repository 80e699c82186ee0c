// What the engine leaves out of the Mustache spec on purpose, and how it says so: delimiter
// changes, dynamic and recursive partials and missing partials are refused when templates load;
// lambdas have no place in the values a template reads.

@testable import Templates
import XCTest

final class UnsupportedFeaturesTests: XCTestCase {
    func testDelimiterChangesAreRefusedAtLoadWithTheirLine() {
        let error = loadError(["pages/a": "<p>\n{{=<% %>=}}\n<% name %>"])
        XCTAssertEqual(error, TemplateError(template: "pages/a", line: 2, message: "changing delimiters ({{=…=}}) is not supported"))
        XCTAssertEqual(error?.description, "template pages/a, line 2: changing delimiters ({{=…=}}) is not supported")
        XCTAssertEqual(loadError(["p": "x {{= | | =}} y"])?.message, "changing delimiters ({{=…=}}) is not supported",
                       "inline as well as standalone")
    }

    func testAMissingPartialIsRefusedAtLoadRatherThanRenderedEmpty() {
        // The spec renders nothing for an unknown partial; here a typo must not ship a blank box.
        XCTAssertEqual(loadError(["page": "a{{> gone}}b"])?.description, "template page: it includes gone, which does not exist")
        XCTAssertEqual(loadError(["page": "{{<gone}}{{/gone}}"])?.message, "it includes gone, which does not exist")
    }

    func testDynamicPartialNamesAreRefusedAtLoad() {
        XCTAssertEqual(loadError(["page": "{{>*which}}"])?.message, "it includes *which, which does not exist")
    }

    func testRecursivePartialsAreRefusedAtLoad() {
        // Partials are inlined when templates load, so a partial that includes itself never ends.
        let sources = ["page": "{{> node}}", "node": "{{name}}{{#kids}}{{> node}}{{/kids}}"]
        XCTAssertEqual(loadError(sources)?.message, "partials or parents nest deeper than 32 levels")
    }

    func testLambdasAreNeverCalled() throws {
        // Typed values have no case for a function, so a view model cannot pass one; one in a
        // dictionary is shown as any other unknown value would be, never run on the section.
        var calls = 0
        let lambda: (String) -> String = { text in calls += 1; return text.uppercased() }
        XCTAssertEqual(try render("{{#wrap}}quiet{{/wrap}}", ["wrap": lambda]), "quiet")
        XCTAssertEqual(calls, 0)
    }
}
