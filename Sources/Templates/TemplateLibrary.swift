// A compiled set of Mustache templates. Pages are on the hot path, so everything that can be
// done once is done at load: parsing, inlining partials and layouts, numbering names. A render
// is then a walk over byte runs and integer lookups.
//
// Supported: variables (escaped, `{{{raw}}}`, `{{&raw}}`), dotted names, `{{.}}`, sections and
// inverted sections, comments, partials (`{{> name}}`), and inheritance (`{{<parent}}` with
// `{{$block}}`). Not supported, and refused at load: changing delimiters. No lambdas.

import Foundation

/// Templates by name (their path under the template directory, without `.mustache`).
public struct TemplateLibrary: Sendable {
    private let compiled: [String: Compiled]
    private let names: [String: Int32]

    private struct Compiled: Sendable {
        let nodes: [Node]
        /// Bytes of text outside sections plus some room: the buffer is sized once.
        let capacity: Int
    }

    /// Compiles templates given as source text by name; a syntax error, a missing partial or
    /// parent, or a cycle throws naming the template.
    public init(sources: [String: String]) throws {
        var parsed: [String: [RawNode]] = [:]
        for (name, source) in sources {
            var parser = Parser(name: name, source: source)
            parsed[name] = try parser.parse()
        }
        var linker = Linker(templates: parsed)
        var compiled: [String: Compiled] = [:]
        for name in parsed.keys {
            let nodes = try linker.link(name)
            compiled[name] = Compiled(nodes: nodes, capacity: Self.estimatedSize(nodes))
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

    /// Renders `name` with `context` as the outermost scope; nil if there is no such template.
    public func render(_ name: String, _ context: [String: Any]) -> [UInt8]? {
        guard let template = compiled[name] else { return nil }
        var renderer = Renderer(root: ValueConverter(names: names).scope(context), capacity: template.capacity)
        renderer.render(template.nodes)
        return renderer.output
    }

    private static func estimatedSize(_ nodes: [Node]) -> Int {
        let text = nodes.reduce(0) { total, node in
            if case .text(let bytes) = node { return total + bytes.count }
            return total
        }
        return text * 2 + 4096
    }
}
