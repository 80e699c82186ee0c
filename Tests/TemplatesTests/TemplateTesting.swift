// Helpers for the engine's tests: compile sources into a library and render one to a string.

@testable import Templates
import XCTest

extension XCTestCase {
    /// Renders `source` as the template "page", with `partials` loaded beside it.
    func render(_ source: String, _ context: [String: Any] = [:], partials: [String: String] = [:]) throws -> String {
        let library = try TemplateLibrary(sources: partials.merging(["page": source]) { $1 })
        return String(decoding: try XCTUnwrap(library.render("page", context)), as: UTF8.self)
    }

    /// Renders `source` with typed fields as the outermost scope.
    func render(_ source: String, fields: TemplateFields, partials: [String: String] = [:]) throws -> String {
        let library = try TemplateLibrary(sources: partials.merging(["page": source]) { $1 })
        return String(decoding: try XCTUnwrap(library.render("page", fields)), as: UTF8.self)
    }

    /// The error that refuses `sources` at load, or nil if they load.
    func loadError(_ sources: [String: String]) -> TemplateError? {
        do {
            _ = try TemplateLibrary(sources: sources)
            return nil
        } catch {
            return error as? TemplateError
        }
    }
}
