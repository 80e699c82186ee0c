// Mustache source text to a tree of raw nodes: tags, sections and standalone-line trimming
// as the Mustache spec describes them. Partials, parents and blocks stay unresolved here;
// Linker.swift resolves them once every template is known.

/// A parsed tag tree, before partials and inheritance are resolved.
indirect enum RawNode {
    case text([UInt8])
    case variable(name: String, escaped: Bool)
    case section(name: String, children: [RawNode], inverted: Bool)
    /// `{{> name}}`; `indentation` is what stood before it when alone on its line.
    case partial(name: String, indentation: [UInt8])
    /// `{{<parent}}…{{/parent}}`: render `parent` with the blocks given inside.
    case parent(name: String, children: [RawNode])
    /// `{{$name}}default{{/name}}`: replaceable by a child template.
    case block(name: String, children: [RawNode])
}

/// A template that cannot be loaded, with the place to look.
public struct TemplateError: Error, CustomStringConvertible, Equatable {
    public let template: String
    public let line: Int?
    public let message: String

    public var description: String {
        line.map { "template \(template), line \($0): \(message)" } ?? "template \(template): \(message)"
    }
}

struct Parser {
    private let name: String
    private let source: [UInt8]
    private var position = 0

    private static let open: [UInt8] = Array("{{".utf8)
    private static let close: [UInt8] = Array("}}".utf8)
    private static let tripleClose: [UInt8] = Array("}}}".utf8)

    /// `indentation` goes before every line of `source`: a partial included alone on an
    /// indented line is parsed this way, so its own standalone lines are still found.
    init(name: String, source: String, indentation: [UInt8] = []) {
        self.name = name
        self.source = Self.indenting(Array(source.utf8), by: indentation)
    }

    /// An open section, parent or block waiting for its `{{/name}}`.
    private struct Frame {
        enum Kind { case root, section(inverted: Bool), parent, block }
        let kind: Kind
        let name: String
        let line: Int
        var children: [RawNode] = []
    }

    mutating func parse() throws -> [RawNode] {
        var frames = [Frame(kind: .root, name: "", line: 1)]
        var text: [UInt8] = []
        while position < source.count {
            guard let tagStart = find(Self.open, from: position) else {
                text += source[position...]
                position = source.count
                break
            }
            text += source[position..<tagStart]
            let tag = try readTag(at: tagStart)
            var indentation: [UInt8] = []
            if tag.canStandAlone, let lineEnd = standaloneLineEnd(tagStart: tagStart, tagEnd: tag.end) {
                let start = lineStart(before: tagStart)
                indentation = Array(source[start..<tagStart])
                text.removeLast(tagStart - start)
                position = lineEnd
            } else {
                position = tag.end
            }
            if !text.isEmpty {
                frames[frames.count - 1].children.append(.text(text))
                text = []
            }
            try apply(tag, at: tagStart, indentation: indentation, to: &frames)
        }
        if !text.isEmpty { frames[frames.count - 1].children.append(.text(text)) }
        guard frames.count == 1, let root = frames.first else {
            let open = frames[frames.count - 1]
            throw error(line: open.line, "{{\(open.name)}} is never closed")
        }
        return root.children
    }

    private struct Tag {
        let sigil: UInt8?
        let name: String
        let end: Int

        /// Tags that vanish with their whole line when alone on it (the spec's "standalone" rule).
        var canStandAlone: Bool {
            guard let sigil else { return false }
            return Array("#^/!><$=".utf8).contains(sigil)
        }
    }

    private func readTag(at start: Int) throws -> Tag {
        let bodyStart = start + Self.open.count
        if bodyStart < source.count, source[bodyStart] == UInt8(ascii: "{") {
            guard let end = find(Self.tripleClose, from: bodyStart + 1) else { throw error(at: start, "unclosed {{{ tag") }
            return Tag(sigil: UInt8(ascii: "&"), name: trimmed(bodyStart + 1, end), end: end + Self.tripleClose.count)
        }
        guard let end = find(Self.close, from: bodyStart) else { throw error(at: start, "unclosed {{ tag") }
        let sigils = Array("#^/!>&<$=".utf8)
        if bodyStart < end, sigils.contains(source[bodyStart]) {
            return Tag(sigil: source[bodyStart], name: trimmed(bodyStart + 1, end), end: end + Self.close.count)
        }
        return Tag(sigil: nil, name: trimmed(bodyStart, end), end: end + Self.close.count)
    }

    private func apply(_ tag: Tag, at start: Int, indentation: [UInt8], to frames: inout [Frame]) throws {
        let line = lineNumber(at: start)
        if tag.sigil != UInt8(ascii: "!"), tag.name.isEmpty { throw error(line: line, "a tag has no name") }
        switch tag.sigil.map({ Character(Unicode.Scalar($0)) }) {
        case nil: frames[frames.count - 1].children.append(.variable(name: tag.name, escaped: true))
        case "&": frames[frames.count - 1].children.append(.variable(name: tag.name, escaped: false))
        case "!": break
        case ">": frames[frames.count - 1].children.append(.partial(name: tag.name, indentation: indentation))
        case "#": frames.append(Frame(kind: .section(inverted: false), name: tag.name, line: line))
        case "^": frames.append(Frame(kind: .section(inverted: true), name: tag.name, line: line))
        case "<": frames.append(Frame(kind: .parent, name: tag.name, line: line))
        case "$": frames.append(Frame(kind: .block, name: tag.name, line: line))
        case "/":
            let frame = frames.removeLast()
            if case .root = frame.kind { throw error(line: line, "{{/\(tag.name)}} closes nothing") }
            guard frame.name == tag.name else {
                throw error(line: line, "{{/\(tag.name)}} closes {{\(frame.name)}} opened at line \(frame.line)")
            }
            frames[frames.count - 1].children.append(node(closing: frame))
        default:
            throw error(line: line, "changing delimiters ({{=…=}}) is not supported")
        }
    }

    private func node(closing frame: Frame) -> RawNode {
        switch frame.kind {
        case .section(let inverted): return .section(name: frame.name, children: frame.children, inverted: inverted)
        case .parent: return .parent(name: frame.name, children: frame.children)
        case .block, .root: return .block(name: frame.name, children: frame.children)
        }
    }

    // MARK: Standalone lines

    private func lineStart(before index: Int) -> Int {
        var start = index
        while start > 0, source[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return start
    }

    /// Where the line after a standalone tag begins, or nil when the tag shares its line with
    /// anything but spaces and tabs.
    private func standaloneLineEnd(tagStart: Int, tagEnd: Int) -> Int? {
        guard source[lineStart(before: tagStart)..<tagStart].allSatisfy(Self.isBlank) else { return nil }
        var index = tagEnd
        while index < source.count, Self.isBlank(source[index]) { index += 1 }
        if index == source.count { return index }
        if source[index] == UInt8(ascii: "\n") { return index + 1 }
        if source[index] == UInt8(ascii: "\r"), index + 1 < source.count, source[index + 1] == UInt8(ascii: "\n") {
            return index + 2
        }
        return nil
    }

    /// `source` with `indentation` at the start of each line; a final newline starts no line.
    private static func indenting(_ source: [UInt8], by indentation: [UInt8]) -> [UInt8] {
        guard !indentation.isEmpty, !source.isEmpty else { return source }
        var indented = indentation
        for (index, byte) in source.enumerated() {
            indented.append(byte)
            if byte == UInt8(ascii: "\n"), index + 1 < source.count { indented += indentation }
        }
        return indented
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    // MARK: Bytes

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard needle.count <= source.count else { return nil }
        var index = start
        while index <= source.count - needle.count {
            if source[index] == needle[0], source[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private func trimmed(_ start: Int, _ end: Int) -> String {
        let text = String(decoding: source[start..<end], as: UTF8.self)
        return text.trimmingCharacters(in: " \t\r\n")
    }

    private func lineNumber(at index: Int) -> Int {
        source[..<index].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    private func error(at index: Int, _ message: String) -> TemplateError {
        error(line: lineNumber(at: index), message)
    }

    private func error(line: Int, _ message: String) -> TemplateError {
        TemplateError(template: name, line: line, message: message)
    }
}

extension String {
    /// Foundation-free trimming of a few ASCII characters.
    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop = Set(set.utf8)
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !drop.contains($0) }),
              let last = bytes.lastIndex(where: { !drop.contains($0) }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
