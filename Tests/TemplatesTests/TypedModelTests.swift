// Typed view models (`TemplateModel`, `TemplateFields`) render as dictionaries would: nested
// models are scopes, lists of models repeat sections, and nil optionals are absent.

@testable import Templates
import XCTest

private struct Author: TemplateModel {
    let name: String
    let handle: String?

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["name": .text(name)]
        fields.add("handle", handle)
        return fields
    }
}

private struct Post: TemplateModel {
    let title: String
    let likes: Int?
    let pinned: Bool
    let author: Author?
    let tags: [Tag]

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["title": .text(title)]
        fields.add("likes", likes)
        fields.add("pinned", pinned)
        fields.add("author", author)
        fields.add("tags", tags)
        return fields
    }
}

private struct Tag: TemplateModel {
    let label: String
    var templateFields: TemplateFields { ["label": .text(label)] }
}

final class TypedModelTests: XCTestCase {
    private let post = Post(title: "Fox & owl", likes: 3, pinned: true,
                            author: Author(name: "Ann", handle: nil), tags: [Tag(label: "night"), Tag(label: "<b>")])

    func testAModelsFieldsAreTheOutermostScope() throws {
        XCTAssertEqual(try render("{{title}} ({{likes}}){{#pinned}} pinned{{/pinned}}", fields: post.templateFields),
                       "Fox &amp; owl (3) pinned")
    }

    func testANestedModelIsAScopeForSectionsAndDottedNames() throws {
        let source = "{{author.name}}|{{#author}}{{name}} on {{title}}{{/author}}"
        XCTAssertEqual(try render(source, fields: post.templateFields), "Ann|Ann on Fox &amp; owl")
    }

    func testAListOfModelsRepeatsItsSection() throws {
        XCTAssertEqual(try render("{{#tags}}[{{label}}]{{/tags}}", fields: post.templateFields), "[night][&lt;b&gt;]")
        let bare = Post(title: "t", likes: nil, pinned: false, author: nil, tags: [])
        XCTAssertEqual(try render("{{#tags}}x{{/tags}}{{^tags}}no tags{{/tags}}", fields: bare.templateFields), "no tags")
    }

    func testNilOptionalsAreAbsent() throws {
        let bare = Post(title: "t", likes: nil, pinned: false, author: nil, tags: [])
        let source = "[{{likes}}{{author.name}}]{{#likes}}L{{/likes}}{{^likes}}no likes{{/likes}}{{^author}}, anonymous{{/author}}"
        XCTAssertEqual(try render(source, fields: bare.templateFields), "[]no likes, anonymous")
        XCTAssertEqual(try render("[{{#author}}{{handle}}{{^handle}}no handle{{/handle}}{{/author}}]", fields: post.templateFields),
                       "[no handle]")
    }

    func testFalseIsPresentButHidesItsSection() throws {
        let bare = Post(title: "t", likes: nil, pinned: false, author: nil, tags: [])
        XCTAssertEqual(try render("{{#pinned}}p{{/pinned}}{{^pinned}}unpinned{{/pinned}} {{pinned}}", fields: bare.templateFields),
                       "unpinned false")
    }

    func testNamesInsideListItemsFallBackToTheModelAroundThem() throws {
        XCTAssertEqual(try render("{{#tags}}{{label}}@{{title}};{{/tags}}", fields: post.templateFields),
                       "night@Fox &amp; owl;&lt;b&gt;@Fox &amp; owl;")
    }

    func testModelsInsideDictionaryContexts() throws {
        let context: [String: Any] = ["post": TemplateValue.fields(post.templateFields), "posts": [post.templateFields, post.templateFields]]
        XCTAssertEqual(try render("{{post.author.name}}:{{#posts}}{{#tags}}{{label}},{{/tags}}{{/posts}}", context),
                       "Ann:night,&lt;b&gt;,night,&lt;b&gt;,")
    }

    func testListsOfListsOfFieldsAreScopesAtEveryLevel() throws {
        let rows: TemplateValue = .list([.list([.fields(["v": "a"]), .fields(["v": "b"])]), .list([.fields(["v": "c"])])])
        XCTAssertEqual(try render("{{#rows}}({{#.}}{{v}}{{/.}}){{/rows}}", fields: ["rows": rows]), "(ab)(c)")
    }

    func testFieldNamesNoTemplateUsesAreIgnored() throws {
        XCTAssertEqual(try render("{{a}}", fields: ["a": "1", "never_used": .list([.fields(["x": 1])])]), "1")
    }
}
