// The Mustache spec's standalone-line rule: a section, inverted section, comment, partial,
// parent or block tag alone on its line (but for spaces and tabs) takes the whole line with it,
// indentation and line ending (LF or CRLF) included.

@testable import Templates
import XCTest

final class SpecStandaloneLinesTests: XCTestCase {
    private let on: [String: Any] = ["t": true, "f": false]

    func testSectionTagLinesVanish() throws {
        XCTAssertEqual(try render("begin\n{{#t}}\nmiddle\n{{/t}}\nend\n", on), "begin\nmiddle\nend\n")
        XCTAssertEqual(try render("begin\n{{#f}}\nmiddle\n{{/f}}\nend\n", on), "begin\nend\n", "hidden sections too")
    }

    func testIndentedSectionTagLinesVanish() throws {
        XCTAssertEqual(try render("begin\n  {{#t}}\nmiddle\n\t{{/t}}  \nend\n", on), "begin\nmiddle\nend\n")
    }

    func testInvertedSectionTagLinesVanish() throws {
        XCTAssertEqual(try render("begin\n{{^f}}\nmiddle\n{{/f}}\nend\n", on), "begin\nmiddle\nend\n")
        XCTAssertEqual(try render("begin\n   {{^f}}\nmiddle\n \t {{/f}}\nend\n", on), "begin\nmiddle\nend\n")
    }

    func testCommentLinesVanish() throws {
        XCTAssertEqual(try render("begin\n{{! note }}\nend\n", [:]), "begin\nend\n")
        XCTAssertEqual(try render("begin\n    {{! note }}\t\nend\n", [:]), "begin\nend\n")
    }

    func testMultilineCommentLinesVanish() throws {
        XCTAssertEqual(try render("begin\n{{!\nnote\nmore\n}}\nend\n", [:]), "begin\nend\n")
        XCTAssertEqual(try render("begin\n  {{!\n    note\n  }}\nend\n", [:]), "begin\nend\n")
    }

    func testCRLFLinesVanishWhole() throws {
        XCTAssertEqual(try render("|\r\n{{#t}}\r\n{{/t}}\r\n|", on), "|\r\n|")
        XCTAssertEqual(try render("|\r\n{{^f}}\r\n{{/f}}\r\n|", on), "|\r\n|")
        XCTAssertEqual(try render("|\r\n  {{! note }}\r\n|", [:]), "|\r\n|")
        XCTAssertEqual(try render("a\r\n{{#t}}\r\nb\r\n{{/t}}\r\nc\r\n", on), "a\r\nb\r\nc\r\n")
    }

    func testStandaloneTagOnTheFirstLine() throws {
        XCTAssertEqual(try render("  {{#t}}\nx{{/t}}\ny", on), "x\ny")
        XCTAssertEqual(try render("\t{{^f}}\nx{{/f}}\ny", on), "x\ny")
        XCTAssertEqual(try render("  {{! note }}\nx", [:]), "x")
    }

    func testStandaloneTagOnTheLastLineWithoutNewline() throws {
        XCTAssertEqual(try render("#{{#t}}\nx\n  {{/t}}", on), "#\nx\n")
        XCTAssertEqual(try render("#{{^f}}\nx\n\t{{/f}}", on), "#\nx\n")
        XCTAssertEqual(try render("x\n  {{! note }}", [:]), "x\n")
    }

    func testATagSharingItsLineKeepsTheLine() throws {
        XCTAssertEqual(try render("a {{#t}}\nb\n{{/t}} c\n", on), "a \nb\n c\n")
        XCTAssertEqual(try render("{{#t}}{{/t}}\nx", on), "\nx", "two tags on one line are not standalone")
        XCTAssertEqual(try render("{{! a }}{{! b }}\nx", [:]), "\nx")
        XCTAssertEqual(try render("{{v}}{{#t}}\nx{{/t}}", ["v": "", "t": true]), "\nx", "a variable shares the line even when empty")
    }

    func testRepeatedSectionOnItsOwnLinesRepeatsOnlyTheLinesInside() throws {
        let source = "<ul>\n  {{#rows}}\n  <li>{{.}}</li>\n  {{/rows}}\n</ul>\n"
        XCTAssertEqual(try render(source, ["rows": ["a", "b"]]), "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
    }

    func testBlankLinesAreKept() throws {
        XCTAssertEqual(try render("a\n\n{{#t}}\n\n{{/t}}\n\nb", on), "a\n\n\n\nb")
        XCTAssertEqual(try render("a\n   \nb", on), "a\n   \nb")
    }

    func testParentAndBlockTagLinesVanish() throws {
        let partials = ["frame": "[\n{{$body}}\ndefault\n{{/body}}\n]\n"]
        XCTAssertEqual(try render("{{<frame}}\n{{$body}}\nmine\n{{/body}}\n{{/frame}}\n", [:], partials: partials), "[\nmine\n]\n")
        XCTAssertEqual(try render("{{<frame}}\n{{/frame}}\n", [:], partials: partials), "[\ndefault\n]\n")
    }
}
