// The optional inheritance part of the Mustache spec ({{<parent}} with {{$block}}), which every
// page uses through layout.mustache. Not covered: the spec's re-indentation of blocks.

@testable import Templates
import XCTest

final class SpecInheritanceTests: XCTestCase {
    private let frame = ["frame": "<{{$inner}}[{{v}}{{{raw}}}{{#on}}on{{/on}}{{^on}}off{{/on}}]{{/inner}}>"]

    func testABlockShowsItsDefaultWhenNotGiven() throws {
        XCTAssertEqual(try render("{{<frame}}{{/frame}}", ["v": "<", "raw": "<", "on": true], partials: frame), "<[&lt;<on]>")
    }

    func testAGivenBlockReplacesTheDefault() throws {
        XCTAssertEqual(try render("{{<frame}}{{$inner}}mine {{v}}{{/inner}}{{/frame}}", ["v": "x"], partials: frame), "<mine x>")
    }

    func testAValueNamedLikeABlockDoesNotReplaceIt() throws {
        XCTAssertEqual(try render("{{<frame}}{{$inner}}given{{/inner}}{{/frame}}", ["inner": "value"], partials: frame), "<given>")
        XCTAssertEqual(try render("{{<frame}}{{/frame}}", ["inner": "value", "on": false], partials: frame), "<[off]>")
    }

    func testTextInsideAParentOutsideBlocksIsIgnored() throws {
        XCTAssertEqual(try render("{{<frame}} ignored {{$inner}}kept{{/inner}} ignored {{/frame}}", [:], partials: frame), "<kept>")
    }

    func testOnlyTheGivenBlocksAreReplaced() throws {
        let partials = ["two": "{{$a}}A{{/a}}|{{$b}}B{{/b}}"]
        XCTAssertEqual(try render("{{<two}}{{$b}}mine{{/b}}{{/two}}", [:], partials: partials), "A|mine")
    }

    func testOneParentUsedTwiceWithDifferentBlocks() throws {
        let source = "{{<frame}}{{$inner}}1{{/inner}}{{/frame}}{{<frame}}{{$inner}}2{{/inner}}{{/frame}}"
        XCTAssertEqual(try render(source, [:], partials: frame), "<1><2>")
    }

    func testAGivenBlockReadsNamesWhereTheParentShowsIt() throws {
        let partials = ["scoped": "{{#box}}{{$line}}default {{fruit}}{{/line}}{{/box}}"]
        let context: [String: Any] = ["fruit": "outer", "box": ["fruit": "inner"]]
        XCTAssertEqual(try render("{{<scoped}}{{$line}}given {{fruit}}{{/line}}{{/scoped}}", context, partials: partials), "given inner")
    }

    func testAParentIsAPartialWhenGivenNoBlocks() throws {
        XCTAssertEqual(try render("{{<frame}}{{/frame}} = {{> frame}}", ["v": "x", "on": true], partials: frame), "<[xon]> = <[xon]>")
    }
}
