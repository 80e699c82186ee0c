// The Mustache spec's interpolation rules ({{name}}, {{{name}}}, {{&name}}, dotted names,
// {{.}}) and HTML escaping, as cases written for this engine.

@testable import Templates
import XCTest

final class SpecInterpolationTests: XCTestCase {
    // MARK: Plain names

    func testTextWithoutTagsIsCopiedUnchanged() throws {
        let text = "A { brace }, a }} closer and a lone { opener.\n  Second line\ttabbed.\n"
        XCTAssertEqual(try render(text, ["unused": "x"]), text)
    }

    func testNameIsReplacedByItsValue() throws {
        XCTAssertEqual(try render("Good day, {{who}}!", ["who": "Ada"]), "Good day, Ada!")
    }

    func testValueIsNotReadAgainAsATemplate() throws {
        XCTAssertEqual(try render("{{note}}", ["note": "{{secret}}", "secret": "leak"]), "{{secret}}")
    }

    func testIntegersAndDecimalsRenderAsNumbers() throws {
        XCTAssertEqual(try render("{{speed}} km/h, {{{speed}}}, {{&speed}}", ["speed": 120]), "120 km/h, 120, 120")
        XCTAssertEqual(try render("{{ratio}} and {{{ratio}}}", ["ratio": 0.250]), "0.25 and 0.25", "no trailing zeros")
        XCTAssertEqual(try render("{{below}}", ["below": -7]), "-7")
        XCTAssertEqual(try render("{{n}}", fields: ["n": .number(2026)]), "2026")
    }

    func testNilRendersNothing() throws {
        let nothing: Int? = nil
        XCTAssertEqual(try render("[{{v}}|{{{v}}}|{{&v}}]", ["v": nothing as Any]), "[||]")
    }

    func testMissingNamesRenderNothing() throws {
        XCTAssertEqual(try render("[{{absent}}|{{{absent}}}|{{&absent}}]", ["present": "x"]), "[||]")
    }

    // MARK: Dotted names

    func testDottedNameReadsInsideTheValueOfItsFirstPart() throws {
        let context: [String: Any] = ["author": ["name": "Grace"]]
        XCTAssertEqual(try render("{{author.name}} = {{#author}}{{name}}{{/author}}", context), "Grace = Grace")
        XCTAssertEqual(try render("{{{author.name}}}/{{&author.name}}", context), "Grace/Grace")
    }

    func testDottedNamesReachAnyDepth() throws {
        let context: [String: Any] = ["a": ["b": ["c": ["d": ["e": "deep"]]]]]
        XCTAssertEqual(try render("{{a.b.c.d.e}}", context), "deep")
    }

    func testBrokenChainRendersNothing() throws {
        XCTAssertEqual(try render("[{{shop.owner.name}}]", ["shop": ["city": "Oslo"]]), "[]")
    }

    func testLaterPartsOfADottedNameNeverLookOutwards() throws {
        // `name` exists at the top, but after `shop.owner` is missing the chain stays broken.
        let context: [String: Any] = ["shop": ["owner": [String: Any]()], "name": "wrong"]
        XCTAssertEqual(try render("[{{shop.owner.name}}]", context), "[]")
    }

    func testFirstPartOfADottedNameIsLookedUpOutwards() throws {
        let context: [String: Any] = [
            "outer": ["inner": ["x": ["y": "near"]]],
            "x": ["y": "far"],
        ]
        XCTAssertEqual(try render("{{#outer}}{{#inner}}{{x.y}}{{/inner}}{{/outer}}", context), "near")
        XCTAssertEqual(try render("{{#outer}}{{x.y}}{{/outer}}", context), "far")
    }

    func testTheNearestMatchForTheFirstPartWinsEvenWithoutTheRest() throws {
        let context: [String: Any] = ["box": ["item": [String: Any]()], "item": ["label": "outer"]]
        XCTAssertEqual(try render("[{{#box}}{{item.label}}{{/box}}]", context), "[]")
    }

    func testADotInAKeyIsNotADottedName() throws {
        XCTAssertEqual(try render("[{{a.b}}]", ["a.b": "literal key"]), "[]")
    }

    // MARK: Implicit iterator

    func testCurrentItemRendersWithDot() throws {
        XCTAssertEqual(try render("{{#tags}}<{{.}}>{{/tags}}", ["tags": ["sky", "sea"]]), "<sky><sea>")
        XCTAssertEqual(try render("{{#sizes}}{{.}};{{/sizes}}", ["sizes": [256, 512]]), "256;512;")
        XCTAssertEqual(try render("{{#sizes}}{{.}};{{/sizes}}", ["sizes": [1.5, 2.25]]), "1.5;2.25;")
    }

    func testCurrentItemIsEscapedUnlessTripleOrAmpersand() throws {
        let context: [String: Any] = ["marks": ["<b>&'\""]]
        XCTAssertEqual(try render("{{#marks}}{{.}}{{/marks}}", context), "&lt;b&gt;&amp;&#39;&quot;")
        XCTAssertEqual(try render("{{#marks}}{{{.}}}|{{& .}}{{/marks}}", context), "<b>&'\"|<b>&'\"")
    }

    // MARK: Whitespace

    func testWhitespaceAroundTagsIsKept() throws {
        XCTAssertEqual(try render("| {{v}} |", ["v": "x"]), "| x |")
        XCTAssertEqual(try render("| {{{v}}} |{{&v}}\t|", ["v": "x"]), "| x |x\t|")
    }

    func testAVariableAloneOnItsLineKeepsTheLine() throws {
        XCTAssertEqual(try render("  {{v}}\n{{{v}}}\n\t{{&v}}\r\n", ["v": "x"]), "  x\nx\n\tx\r\n")
        XCTAssertEqual(try render("a\n  {{missing}}\nb", [:]), "a\n  \nb")
    }

    func testSpacesInsideTagsAreIgnored() throws {
        XCTAssertEqual(try render("{{ v }}|{{{ v }}}|{{& v }}|{{  u.n  }}", ["v": "<x>", "u": ["n": "y"]]), "&lt;x&gt;|<x>|<x>|y")
    }

    // MARK: HTML escaping

    func testTheFiveHTMLSpecialCharactersAreEscaped() throws {
        XCTAssertEqual(try render("{{v}}", ["v": "& < > \" '"]), "&amp; &lt; &gt; &quot; &#39;")
        XCTAssertEqual(try render("{{v}}", ["v": "a&&b<<c"]), "a&amp;&amp;b&lt;&lt;c")
    }

    func testTripleMustacheAndAmpersandWriteValuesUnescaped() throws {
        let context: [String: Any] = ["v": "<em class='x'>\"&\"</em>"]
        XCTAssertEqual(try render("{{{v}}}", context), "<em class='x'>\"&\"</em>")
        XCTAssertEqual(try render("{{&v}}", context), "<em class='x'>\"&\"</em>")
    }

    func testDottedNamesAreEscapedToo() throws {
        XCTAssertEqual(try render("{{a.b}}|{{{a.b}}}", ["a": ["b": "1<2"]]), "1&lt;2|1<2")
    }

    func testTextOutsideTheFiveCharactersIsNotTouched() throws {
        let text = "naïve café — 東京 🦊 %20 + = / \\ ;"
        XCTAssertEqual(try render("{{v}}", ["v": text]), text)
    }

    func testTemplateTextItselfIsNeverEscaped() throws {
        XCTAssertEqual(try render("<p class=\"a\">&amp; {{v}}</p>", ["v": "'"]), "<p class=\"a\">&amp; &#39;</p>")
    }
}
