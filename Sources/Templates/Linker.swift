// Raw trees to render-ready ones: partials are inlined, `{{<parent}}` is replaced by the parent
// with the child's blocks filled in, adjacent text is joined, and every name is numbered so a
// lookup at render time compares integers instead of hashing strings.

/// A render-ready node. Paths are name numbers; an empty path is `{{.}}`.
enum Node: Sendable {
    case text([UInt8])
    case variable(path: [Int32], escaped: Bool)
    case section(path: [Int32], children: [Node], inverted: Bool)
}

struct Linker {
    private let templates: [String: [RawNode]]
    private let sources: [String: String]
    /// Partials parsed again for the indentation they are included at, by indentation and name.
    private var indented: [[UInt8]: [String: [RawNode]]] = [:]
    /// Every name any template uses, numbered.
    private(set) var names: [String: Int32] = [:]
    private static let maximumDepth = 32

    init(templates: [String: [RawNode]], sources: [String: String]) {
        self.templates = templates
        self.sources = sources
    }

    mutating func link(_ name: String) throws -> [Node] {
        try link(templates[name] ?? [], in: name, overrides: [:], depth: 0)
    }

    private mutating func link(_ nodes: [RawNode], in template: String, overrides: [String: [RawNode]],
                               depth: Int) throws -> [Node] {
        guard depth < Self.maximumDepth else {
            throw TemplateError(template: template, line: nil, message: "partials or parents nest deeper than \(Self.maximumDepth) levels")
        }
        var linked: [Node] = []
        for node in nodes {
            switch node {
            case .text(let bytes):
                linked.append(.text(bytes))
            case .variable(let name, let escaped):
                linked.append(.variable(path: path(name), escaped: escaped))
            case .section(let name, let children, let inverted):
                let children = try link(children, in: template, overrides: overrides, depth: depth)
                linked.append(.section(path: path(name), children: children, inverted: inverted))
            case .partial(let name, let indentation):
                let nodes = indentation.isEmpty
                    ? try source(of: name, includedFrom: template)
                    : try source(of: name, indentedBy: indentation, includedFrom: template)
                linked += try link(nodes, in: name, overrides: overrides, depth: depth + 1)
            case .block(let name, let defaults):
                linked += try link(overrides[name] ?? defaults, in: template, overrides: overrides, depth: depth)
            case .parent(let name, let children):
                // The outermost child wins: a block given further out overrides one given here.
                let blocks = Self.blocks(in: children).merging(overrides) { _, outer in outer }
                linked += try link(try source(of: name, includedFrom: template), in: name, overrides: blocks, depth: depth + 1)
            }
        }
        return Self.joiningText(linked)
    }

    private func source(of name: String, includedFrom template: String) throws -> [RawNode] {
        guard let nodes = templates[name] else { throw Self.missing(name, includedFrom: template) }
        return nodes
    }

    /// The partial with every line indented, as the spec has a standalone partial rendered.
    private mutating func source(of name: String, indentedBy indentation: [UInt8], includedFrom template: String) throws -> [RawNode] {
        if let nodes = indented[indentation]?[name] { return nodes }
        guard let text = sources[name] else { throw Self.missing(name, includedFrom: template) }
        var parser = Parser(name: name, source: text, indentation: indentation)
        let nodes = try parser.parse()
        indented[indentation, default: [:]][name] = nodes
        return nodes
    }

    private static func missing(_ name: String, includedFrom template: String) -> TemplateError {
        TemplateError(template: template, line: nil, message: "it includes \(name), which does not exist")
    }

    private static func blocks(in nodes: [RawNode]) -> [String: [RawNode]] {
        var blocks: [String: [RawNode]] = [:]
        for case .block(let name, let children) in nodes { blocks[name] = children }
        return blocks
    }

    private mutating func path(_ name: String) -> [Int32] {
        if name == "." { return [] }
        return name.split(separator: ".").map { part in
            let part = String(part)
            if let number = names[part] { return number }
            let number = Int32(names.count)
            names[part] = number
            return number
        }
    }

    private static func joiningText(_ nodes: [Node]) -> [Node] {
        var joined: [Node] = []
        for node in nodes {
            if case .text(let bytes) = node, case .text(let previous)? = joined.last {
                joined[joined.count - 1] = .text(previous + bytes)
            } else {
                joined.append(node)
            }
        }
        return joined
    }
}
