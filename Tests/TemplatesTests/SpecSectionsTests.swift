// The Mustache spec's rules for sections ({{#name}}) and inverted sections ({{^name}}):
// which values show them, how lists repeat them, and how names resolve inside them.

@testable import Templates
import XCTest

final class SpecSectionsTests: XCTestCase {
    func testTrueShowsTheSectionOnceAndFalseHidesIt() throws {
        let context: [String: Any] = ["yes": true, "no": false]
        XCTAssertEqual(try render("[{{#yes}}shown{{/yes}}][{{#no}}hidden{{/no}}]", context), "[shown][]")
    }

    func testNilAndMissingNamesHideTheSection() throws {
        let nothing: String? = nil
        XCTAssertEqual(try render("[{{#v}}x{{/v}}][{{#gone}}y{{/gone}}]", ["v": nothing as Any]), "[][]")
    }

    func testEmptyListHidesTheSection() throws {
        XCTAssertEqual(try render("[{{#rows}}row{{/rows}}]", ["rows": [[String: Any]]()]), "[]")
        XCTAssertEqual(try render("[{{#rows}}row{{/rows}}]", fields: ["rows": .list([])]), "[]")
    }

    func testListRepeatsTheSectionForEachItemInOrder() throws {
        let context: [String: Any] = ["rows": [["n": "one"], ["n": "two"], ["n": "three"]]]
        XCTAssertEqual(try render("{{#rows}}({{n}}){{/rows}}", context), "(one)(two)(three)")
    }

    func testListsOfListsIterateWithDot() throws {
        let context: [String: Any] = ["grid": [[1, 2], ["x", "y", "z"]]]
        XCTAssertEqual(try render("{{#grid}}[{{#.}}{{.}}{{/.}}]{{/grid}}", context), "[12][xyz]")
    }

    func testANamedValueBecomesTheInnermostScope() throws {
        let context: [String: Any] = ["who": ["name": "Lin"], "name": "outer"]
        XCTAssertEqual(try render("{{#who}}Hello {{name}}{{/who}} {{name}}", context), "Hello Lin outer")
    }

    func testNamesMissingInTheSectionAreFoundOutwards() throws {
        let context: [String: Any] = ["greeting": "Hi", "people": [["name": "Ann"], ["name": "Bo", "greeting": "Yo"]]]
        XCTAssertEqual(try render("{{#people}}{{greeting}} {{name}}. {{/people}}", context), "Hi Ann. Yo Bo. ")
    }

    func testDeeplyNestedScopesResolveFromTheInnermostOut() throws {
        let context: [String: Any] = [
            "l1": ["one": 1],
            "l2": ["two": 2, "one": "1b"],
            "l3": ["three": 3],
        ]
        let source = "{{#l1}}{{one}}{{#l2}}{{one}}{{two}}{{#l3}}{{one}}{{two}}{{three}}{{/l3}}{{two}}{{/l2}}{{one}}{{/l1}}"
        XCTAssertEqual(try render(source, context), "11b21b2321")
    }

    func testDotInsideASectionIsTheSectionsValue() throws {
        XCTAssertEqual(try render("{{#word}}{{.}} means {{word}}{{/word}}", ["word": "ja"]), "ja means ja")
    }

    func testTheSameSectionMayAppearTwice() throws {
        let context: [String: Any] = ["on": true, "v": "z"]
        XCTAssertEqual(try render("{{#on}}a{{v}}{{/on}}-{{#on}}b{{v}}{{/on}}", context), "az-bz")
    }

    func testNestedSectionsOfOneFlag() throws {
        XCTAssertEqual(try render("1 {{#f}}2 {{#f}}3{{/f}} 4{{/f}} 5", ["f": true]), "1 2 3 4 5")
        XCTAssertEqual(try render("1 {{#f}}2 {{#f}}3{{/f}} 4{{/f}} 5", ["f": false]), "1  5")
    }

    func testZeroAndEmptyTextShowTheSection() throws {
        XCTAssertEqual(try render("{{#n}}n{{/n}}{{#s}}s{{/s}}", ["n": 0, "s": ""]), "ns")
    }

    func testDottedSectionNames() throws {
        let context: [String: Any] = ["a": ["b": ["on": true, "off": false]]]
        XCTAssertEqual(try render("[{{#a.b.on}}yes{{/a.b.on}}]", context), "[yes]")
        XCTAssertEqual(try render("[{{#a.b.off}}no{{/a.b.off}}]", context), "[]")
        XCTAssertEqual(try render("[{{#a.x.on}}broken{{/a.x.on}}]", context), "[]")
    }

    func testWhitespaceAroundAndInsideInlineSectionsIsKept() throws {
        XCTAssertEqual(try render(" | {{#t}}\t|\t{{/t}} | \n", ["t": true]), " | \t|\t | \n")
        XCTAssertEqual(try render("| {{#t}} {{! note }}\n {{/t}} |\n", ["t": true]), "|  \n  |\n")
        XCTAssertEqual(try render(" {{#t}}A{{/t}}\n {{#t}}B{{/t}}\n", ["t": true]), " A\n B\n")
    }

    func testSpacesInsideSectionTagsAreIgnored() throws {
        XCTAssertEqual(try render("|{{# t }}={{/ t }}|{{^ f }}!{{/ f }}|", ["t": true, "f": false]), "|=|!|")
    }

    // MARK: Inverted sections

    func testInvertedSectionShowsForFalseAndHidesForTrue() throws {
        XCTAssertEqual(try render("[{{^f}}shown{{/f}}][{{^t}}hidden{{/t}}]", ["f": false, "t": true]), "[shown][]")
    }

    func testInvertedSectionShowsForNilAndMissingNames() throws {
        let nothing: String? = nil
        XCTAssertEqual(try render("[{{^v}}a{{/v}}][{{^gone}}b{{/gone}}]", ["v": nothing as Any]), "[a][b]")
    }

    func testInvertedSectionShowsForAnEmptyListOnly() throws {
        XCTAssertEqual(try render("[{{^rows}}none{{/rows}}]", ["rows": [[String: Any]]()]), "[none]")
        XCTAssertEqual(try render("[{{^rows}}none{{/rows}}]", ["rows": [["n": 1], ["n": 2]]]), "[]")
    }

    func testInvertedSectionHidesForAnyOtherValue() throws {
        XCTAssertEqual(try render("[{{^who}}x{{/who}}{{^s}}y{{/s}}{{^n}}z{{/n}}]", ["who": ["name": "A"], "s": "", "n": 0]), "[]")
    }

    func testInvertedSectionMayAppearTwiceAndNest() throws {
        XCTAssertEqual(try render("{{^f}}a{{/f}}-{{^f}}b{{/f}}", ["f": false]), "a-b")
        XCTAssertEqual(try render("1 {{^f}}2 {{^f}}3{{/f}} 4{{/f}} 5", ["f": false]), "1 2 3 4 5")
        XCTAssertEqual(try render("1 {{^f}}2 {{^f}}3{{/f}} 4{{/f}} 5", ["f": true]), "1  5")
    }

    func testInvertedSectionBesideASectionOfTheSameName() throws {
        let source = "{{#f}}on{{/f}}{{^f}}off{{/f}}"
        XCTAssertEqual(try render(source, ["f": true]), "on")
        XCTAssertEqual(try render(source, ["f": false]), "off")
    }

    func testInvertedDottedNames() throws {
        let context: [String: Any] = ["a": ["b": ["on": true, "off": false]]]
        XCTAssertEqual(try render("[{{^a.b.on}}x{{/a.b.on}}]", context), "[]")
        XCTAssertEqual(try render("[{{^a.b.off}}shown{{/a.b.off}}]", context), "[shown]")
        XCTAssertEqual(try render("[{{^a.x.on}}broken{{/a.x.on}}]", context), "[broken]")
    }

    func testWhitespaceAroundAndInsideInlineInvertedSectionsIsKept() throws {
        XCTAssertEqual(try render(" | {{^f}}\t|\t{{/f}} | \n", ["f": false]), " | \t|\t | \n")
        XCTAssertEqual(try render(" {{^f}}A{{/f}}\n {{^f}}B{{/f}}\n", ["f": false]), " A\n B\n")
    }
}
