// A compiled set of Mustache templates. Pages are on the hot path, so everything that can be
// done once is done at load: parsing, inlining partials and layouts, numbering names. A render
// is then a walk over byte runs and integer lookups.
//
// Supported: variables (escaped, `{{{raw}}}`, `{{&raw}}`), dotted names, `{{.}}`, sections and
// inverted sections, comments, partials (`{{> name}}`, indented line by line when alone on an
// indented line), and inheritance (`{{<parent}}` with `{{$block}}`, but not the spec's
// re-indentation of blocks). Refused at load: changing delimiters, and partials that are
// missing or include themselves. No lambdas.

import Foundation
import Synchronization

/// Templates by name (their path under the template directory, without `.mustache`).
public struct TemplateLibrary: Sendable {
    private let compiled: [String: Compiled]
    private let names: [String: Int32]

    private struct Compiled: Sendable {
        let program: Program
        let size: SizeHint
    }

    /// Compiles templates given as source text by name; a syntax error, a missing partial or
    /// parent, or a cycle throws naming the template.
    public init(sources: [String: String]) throws {
        var parsed: [String: [RawNode]] = [:]
        for (name, source) in sources {
            var parser = Parser(name: name, source: source)
            parsed[name] = try parser.parse()
        }
        var linker = Linker(templates: parsed, sources: sources)
        var compiled: [String: Compiled] = [:]
        for name in parsed.keys {
            let program = Program(try linker.link(name))
            compiled[name] = Compiled(program: program, size: SizeHint(minimum: program.fixedSize + 4096))
        }
        self.compiled = compiled
        names = linker.names
    }

    /// Loads every `*.mustache` file under `directory`.
    public init(directory: String) throws {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw TemplateError(template: directory, line: nil, message: "the template directory does not exist")
        }
        var sources: [String: String] = [:]
        for case let file as URL in files where file.pathExtension == "mustache" {
            let relative = file.standardizedFileURL.path.dropFirst(root.path.count + 1)
            sources[String(relative.dropLast(".mustache".count))] = try String(contentsOf: file, encoding: .utf8)
        }
        try self.init(sources: sources)
    }

    public func contains(_ name: String) -> Bool { compiled[name] != nil }

    /// Values made once for many renders (what every page shows), in this library's numbering.
    public func scope(_ fields: TemplateFields) -> TemplateScope {
        ValueConverter(names: names).scope(fields)
    }

    /// Renders `name` with `context` as the outermost scope, and `shared` (see `scope(_:)`)
    /// around it for names the context does not have; nil if there is no such template.
    public func render(_ name: String, _ context: [String: Any], shared: TemplateScope? = nil) -> [UInt8]? {
        render(name, ValueConverter(names: names).scope(context), shared: shared)
    }

    /// Renders `name` with a view model's fields as the outermost scope, and `shared` around it.
    public func render(_ name: String, _ fields: TemplateFields, shared: TemplateScope? = nil) -> [UInt8]? {
        render(name, ValueConverter(names: names).scope(fields), shared: shared)
    }

    /// Renders `name` once for each item's fields: pieces of a page rendered on their own (and
    /// kept for reuse), which another template then shows as `.markup`. Each piece is its own
    /// exactly-sized array; they are rendered into one buffer, with names numbered once.
    public func render(_ name: String, each items: [TemplateFields], shared: TemplateScope? = nil) -> [[UInt8]]? {
        guard let template = compiled[name] else { return nil }
        var renderer = Renderer(root: TemplateScope(capacity: 0), shared: shared,
                                capacity: template.size.capacity(pieces: items.count))
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(items.count)
        for item in ValueConverter(names: names).scopes(items) {
            let start = renderer.output.count
            renderer.render(template.program, in: item)
            pieces.append(Array(renderer.output[start...]))
            template.size.record(pieces[pieces.count - 1].count)
        }
        return pieces
    }

    private func render(_ name: String, _ root: TemplateScope, shared: TemplateScope?) -> [UInt8]? {
        guard let template = compiled[name] else { return nil }
        var renderer = Renderer(root: root, shared: shared, capacity: template.size.capacity)
        renderer.render(template.program)
        template.size.record(renderer.output.count)
        return renderer.output
    }
}

/// How large a template's pages turn out, so the output buffer is sized once instead of
/// growing (and copying) several times on long pages like a full gallery.
final class SizeHint: Sendable {
    private let minimum: Int
    private let largest = Atomic<Int>(0)
    /// A rare huge page should not make every later render reserve that much.
    private static let ceiling = 1 << 20

    init(minimum: Int) {
        self.minimum = minimum
    }

    var capacity: Int { max(minimum, largest.load(ordering: .relaxed)) }

    /// For `pieces` renders into one buffer: what they turned out to need, once known (small
    /// pieces such as gallery tiles are far below the one-page minimum).
    func capacity(pieces: Int) -> Int {
        let largest = largest.load(ordering: .relaxed)
        return (largest > 0 ? largest : minimum) * pieces
    }

    func record(_ size: Int) {
        let size = min(size + size / 16, Self.ceiling)
        if size > largest.load(ordering: .relaxed) { largest.store(size, ordering: .relaxed) }
    }
}
