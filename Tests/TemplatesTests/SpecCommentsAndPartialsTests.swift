// The Mustache spec's rules for comments ({{! … }}) and partials ({{> name}}), including how a
// standalone partial indents every line it brings in.

@testable import Templates
import XCTest

final class SpecCommentsTests: XCTestCase {
    func testCommentRendersNothing() throws {
        XCTAssertEqual(try render("before{{! not shown }}after", [:]), "beforeafter")
    }

    func testCommentMaySpanLines() throws {
        XCTAssertEqual(try render("a{{!\n  first\n  second\n}}b", [:]), "ab")
    }

    func testWhitespaceAroundAnInlineCommentIsKept() throws {
        XCTAssertEqual(try render("left {{! gone }} right", [:]), "left  right")
        XCTAssertEqual(try render("  text {{! gone }}\n", [:]), "  text \n", "not alone on its line")
    }

    func testCommentsMayHoldTagLikeText() throws {
        XCTAssertEqual(try render("[{{! {{name }}{{! = }}{{! & # ^ / > }}{{!{{}}]", ["name": "x"]), "[]")
    }

    func testCommentsNeedNoName() throws {
        XCTAssertEqual(try render("a{{!}}b", [:]), "ab")
    }
}

final class SpecPartialsTests: XCTestCase {
    func testPartialRendersInPlace() throws {
        XCTAssertEqual(try render("<{{> box}}>", [:], partials: ["box": "[]"]), "<[]>")
    }

    func testPartialSeesTheScopeWhereItIsIncluded() throws {
        let partials = ["item": "({{name}} of {{shop}})"]
        let context: [String: Any] = ["shop": "S", "name": "top", "items": [["name": "a"], ["name": "b"]]]
        XCTAssertEqual(try render("{{> item}}{{#items}}{{> item}}{{/items}}", context, partials: partials),
                       "(top of S)(a of S)(b of S)")
    }

    func testPartialsMayIncludePartials() throws {
        let partials = ["outer": "<{{> inner}}>", "inner": "{{v}}"]
        XCTAssertEqual(try render("{{> outer}}", ["v": "x"], partials: partials), "<x>")
    }

    func testWhitespaceAroundAnInlinePartialIsKept() throws {
        XCTAssertEqual(try render("| {{> p}} |", [:], partials: ["p": "\t|\t"]), "| \t|\t |")
    }

    func testInlinePartialIsNotIndented() throws {
        XCTAssertEqual(try render("  {{v}}  {{> p}}\n", ["v": "|"], partials: ["p": "a\nb"]), "  |  a\nb\n")
    }

    func testSpacesInsidePartialTagsAreIgnored() throws {
        XCTAssertEqual(try render("[{{>p}}|{{> p }}|{{>  p}}]", [:], partials: ["p": "x"]), "[x|x|x]")
    }

    // MARK: Standalone partials are indented line by line

    func testStandalonePartialIndentsEveryLineOfThePartial() throws {
        let partials = ["p": "one\ntwo\n"]
        XCTAssertEqual(try render("<div>\n    {{> p}}\n</div>\n", [:], partials: partials), "<div>\n    one\n    two\n</div>\n")
        XCTAssertEqual(try render("\t{{> p}}\n", [:], partials: partials), "\tone\n\ttwo\n")
    }

    func testIndentationDoesNotApplyToNewlinesInValues() throws {
        let partials = ["p": "[\n{{{text}}}\n]\n"]
        XCTAssertEqual(try render("x\n  {{> p}}\ny\n", ["text": "a\nb"], partials: partials), "x\n  [\n  a\nb\n  ]\ny\n")
    }

    func testStandalonePartialOnTheFirstLine() throws {
        XCTAssertEqual(try render("  {{> p}}\n>", [:], partials: ["p": "a\nb"]), "  a\n  b>")
    }

    func testStandalonePartialOnTheLastLineWithoutNewline() throws {
        XCTAssertEqual(try render("a\n  {{> p}}", [:], partials: ["p": "b\nc"]), "a\n  b\n  c")
    }

    func testStandalonePartialLineEndingInCRLF() throws {
        XCTAssertEqual(try render("|\r\n{{> p}}\r\n|", [:], partials: ["p": "x"]), "|\r\nx|")
        XCTAssertEqual(try render("|\r\n  {{> p}}\r\n|", [:], partials: ["p": "x\r\ny\r\n"]), "|\r\n  x\r\n  y\r\n|")
    }

    func testStandaloneTagsInsideAnIndentedPartialStillVanish() throws {
        let partials = ["p": "{{#rows}}\n<li>{{.}}</li>\n{{/rows}}\n"]
        XCTAssertEqual(try render("<ul>\n  {{> p}}\n</ul>\n", ["rows": ["a", "b"]], partials: partials),
                       "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
        XCTAssertEqual(try render("<ul>\n  {{> p}}\n</ul>\n", ["rows": [String]()], partials: partials), "<ul>\n</ul>\n")
    }

    func testIndentationAddsUpThroughNestedStandalonePartials() throws {
        let partials = ["outer": "<o>\n  {{> inner}}\n</o>\n", "inner": "<i/>\n<i/>\n"]
        XCTAssertEqual(try render("  {{> outer}}\n", [:], partials: partials), "  <o>\n    <i/>\n    <i/>\n  </o>\n")
    }

    func testThePartialIsIndentedWhereverItIsIncludedStandalone() throws {
        let partials = ["p": "a\nb\n"]
        XCTAssertEqual(try render("{{> p}}\n  {{> p}}\n", [:], partials: partials), "a\nb\n  a\n  b\n")
    }
}
