// The template engine renders what the Mustache spec says for the features Pictor's pages use,
// and refuses broken templates at load with the template and line.

@testable import Templates
import XCTest

final class TemplatesTests: XCTestCase {
    func testVariablesAreHTMLEscapedUnlessTriple() throws {
        let context: [String: Any] = ["v": #"<a href="x">Tom & 'Jerry'</a> é ✓"#]
        XCTAssertEqual(try render("{{v}}", context), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt; é ✓")
        XCTAssertEqual(try render("{{{v}}}|{{& v}}", context), #"<a href="x">Tom & 'Jerry'</a> é ✓|<a href="x">Tom & 'Jerry'</a> é ✓"#)
    }

    func testEscapingFindsSpecialCharactersAnywhereInLongValues() throws {
        // Long values are checked eight bytes at a time; put each special byte at every offset.
        let entities = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"]
        for (special, entity) in entities {
            for offset in 0..<20 {
                let before = String(repeating: "x", count: offset), after = String(repeating: "y", count: 19 - offset)
                XCTAssertEqual(try render("{{v}}", ["v": before + special + after]), before + entity + after, "\(special) at \(offset)")
            }
        }
        XCTAssertEqual(try render("{{v}}", ["v": "0123456789<&>\"'0123456789"]), "0123456789&lt;&amp;&gt;&quot;&#39;0123456789")
        let long = String(repeating: "/generations/1a2b-3c4d ", count: 40) + "é ✓"
        XCTAssertEqual(try render("{{v}}", ["v": long]), long, "nothing to escape: copied unchanged")
    }

    func testTypedFieldsRenderLikeDictionariesAndSharedValuesFillIn() throws {
        let library = try TemplateLibrary(sources: ["page": "{{site}}:{{#items}}[{{id}} {{#on}}on{{/on}}{{^on}}off{{/on}} {{site}}]{{/items}}"])
        let items: [TemplateFields] = [["id": "a", "on": true], ["id": "b"], ["id": .text("<c>"), "on": false, "unused": 1]]
        let shared = library.scope(["site": "Pictor"])
        let page = String(decoding: try XCTUnwrap(library.render("page", ["items": items], shared: shared)), as: UTF8.self)
        XCTAssertEqual(page, "Pictor:[a on Pictor][b off Pictor][&lt;c&gt; off Pictor]")
        let own = String(decoding: try XCTUnwrap(library.render("page", ["items": items, "site": "own"], shared: shared)), as: UTF8.self)
        XCTAssertTrue(own.hasPrefix("own:[a on own]"), "the page's own values win over shared ones")
    }

    func testFragmentsRenderOnTheirOwnAndShowAsMarkupAsTheyAre() throws {
        let library = try TemplateLibrary(sources: ["tile": "<li>{{name}} {{site}}</li>", "page": "<ul>{{#tiles}}{{{.}}}{{/tiles}}</ul>{{tile}}"])
        let shared = library.scope(["site": "P&co"])
        let tiles = try XCTUnwrap(library.render("tile", each: [["name": "a<b"], ["name": "c"]], shared: shared)).map(TemplateValue.markup)
        XCTAssertEqual(String(decoding: try XCTUnwrap(tiles.first.map { value -> [UInt8] in
            guard case .markup(let bytes) = value else { return [] }
            return bytes
        }), as: UTF8.self), "<li>a&lt;b P&amp;co</li>")
        let page = try XCTUnwrap(library.render("page", ["tiles": TemplateValue.list(tiles), "tile": tiles[1]]))
        XCTAssertEqual(String(decoding: page, as: UTF8.self), "<ul><li>a&lt;b P&amp;co</li><li>c P&amp;co</li></ul><li>c P&amp;co</li>",
                       "markup is never escaped again, even in {{name}}")
        XCTAssertEqual(library.render("tile", each: [], shared: shared)?.count, 0)
        XCTAssertNil(library.render("missing", each: [[:]]))
    }

    func testNumbersFlagsAndOtherTypesShowAsText() throws {
        let context: [String: Any] = ["n": -42, "yes": true, "big": Int64(9_000_000_000), "sub": "abc".dropFirst()]
        XCTAssertEqual(try render("{{n}} {{yes}} {{big}} {{sub}}", context), "-42 true 9000000000 bc")
    }

    func testMissingAndNilValuesRenderNothingAndHideSections() throws {
        let none: String? = nil
        let context: [String: Any] = ["none": none as Any, "some": Optional("here") as Any]
        XCTAssertEqual(try render("[{{missing}}{{none}}]{{#none}}x{{/none}}{{^none}}absent{{/none}} {{some}}", context),
                       "[]absent here")
    }

    func testSectionsLoopOverListsAndShowOnceForOtherTruthyValues() throws {
        let context: [String: Any] = [
            "items": [["name": "a"], ["name": "b"]], "words": ["x", "y"], "on": true, "off": false,
            "empty": [[String: Any]](), "zero": 0, "blank": "", "user": ["name": "Ann"],
        ]
        XCTAssertEqual(try render("{{#items}}<{{name}}>{{/items}}", context), "<a><b>")
        XCTAssertEqual(try render("{{#words}}{{.}},{{/words}}", context), "x,y,")
        XCTAssertEqual(try render("{{#on}}on{{/on}}{{#off}}off{{/off}}{{#empty}}empty{{/empty}}", context), "on")
        XCTAssertEqual(try render("{{#zero}}zero{{/zero}} {{#blank}}blank{{/blank}}", context), "zero blank",
                       "0 and \"\" are truthy in Mustache")
        XCTAssertEqual(try render("{{#user}}{{name}}{{/user}}", context), "Ann")
        XCTAssertEqual(try render("{{^off}}1{{/off}}{{^empty}}2{{/empty}}{{^on}}3{{/on}}{{^items}}4{{/items}}", context), "12")
    }

    func testNamesResolveOutwardsAndDottedNamesOnlyInward() throws {
        let context: [String: Any] = [
            "token": "t1", "items": [["id": 1], ["id": 2, "token": "own"]], "nav": ["gallery": true], "id": 0,
        ]
        XCTAssertEqual(try render("{{#items}}{{id}}:{{token}} {{/items}}{{id}}", context), "1:t1 2:own 0")
        XCTAssertEqual(try render("{{#nav.gallery}}G{{/nav.gallery}}{{#nav.explore}}E{{/nav.explore}}{{nav.gallery}}", context),
                       "Gtrue")
        XCTAssertEqual(try render("{{#items}}{{nav.gallery}}{{/items}}", context), "truetrue")
        XCTAssertEqual(try render("{{token.id}}", context), "", "a dotted name does not fall back outwards")
    }

    func testStandaloneTagLinesVanishWithTheirLine() throws {
        let source = "<ul>\n  {{#items}}\n  <li>{{name}}</li>\n  {{/items}}\n  {{! a comment }}\n</ul>\n"
        XCTAssertEqual(try render(source, ["items": [["name": "a"], ["name": "b"]]]), "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
        XCTAssertEqual(try render("a {{#on}}x{{/on}}\nb\r\n{{#on}}\r\nc\r\n{{/on}}", ["on": true]), "a x\nb\r\nc\r\n",
                       "a tag sharing its line with text keeps the line")
    }

    func testPartialsAndLayoutsWithBlocks() throws {
        let partials = [
            "layout": "<title>{{$title}}Default{{/title}}</title>\n{{> partials/nav}}\n<main>{{$content}}{{/content}}</main>",
            "partials/nav": "<nav>{{user}}</nav>\n",  // a standalone partial line ends with the partial's own newline
        ]
        let source = "{{<layout}}\n{{$content}}\n<p>{{body}}</p>\n{{/content}}\n{{/layout}}\n"
        XCTAssertEqual(try render(source, ["user": "ann", "body": "hi"], partials: partials),
                       "<title>Default</title>\n<nav>ann</nav>\n<main><p>hi</p>\n</main>")
        XCTAssertEqual(try render("{{<layout}}{{$title}}Mine{{/title}}{{/layout}}", [:], partials: partials),
                       "<title>Mine</title>\n<nav></nav>\n<main></main>")
    }

    func testTheOutermostBlockWinsThroughSeveralLevels() throws {
        let partials = ["base": "[{{$a}}base{{/a}}]", "middle": "{{<base}}{{$a}}middle{{/a}}{{/base}}"]
        XCTAssertEqual(try render("{{<middle}}{{/middle}}", [:], partials: partials), "[middle]")
        XCTAssertEqual(try render("{{<middle}}{{$a}}page{{/a}}{{/middle}}", [:], partials: partials), "[page]")
    }

    func testBrokenTemplatesAreRefusedWithTheirLine() {
        XCTAssertEqual(loadError(["page": "a\n{{#open}}\nb"]),
                       TemplateError(template: "page", line: 2, message: "{{open}} is never closed"))
        XCTAssertEqual(loadError(["page": "{{#a}}\n{{/b}}"]),
                       TemplateError(template: "page", line: 2, message: "{{/b}} closes {{a}} opened at line 1"))
        XCTAssertEqual(loadError(["page": "x\n\n{{/a}}"]),
                       TemplateError(template: "page", line: 3, message: "{{/a}} closes nothing"))
        XCTAssertEqual(loadError(["page": "{{name"])?.message, "unclosed {{ tag")
        XCTAssertEqual(loadError(["page": "{{=<% %>=}}"])?.message, "changing delimiters ({{=…=}}) is not supported")
        XCTAssertEqual(loadError(["page": "{{> nowhere}}"]),
                       TemplateError(template: "page", line: nil, message: "it includes nowhere, which does not exist"))
        XCTAssertEqual(loadError(["page": "{{> page}}"])?.message, "partials or parents nest deeper than 32 levels")
    }

    func testUnknownTemplateRendersNil() throws {
        XCTAssertNil(try TemplateLibrary(sources: ["a": "x"]).render("b", [:]))
    }
}
