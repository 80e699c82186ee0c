// Walks a linked tree into UTF-8 bytes: a context stack for lookups, HTML escaping done on
// bytes (the page's text is copied as it is, only `& < > " '` are rewritten).

struct Renderer {
    private(set) var output: [UInt8] = []
    private var stack: [TemplateValue]

    init(root: TemplateScope, capacity: Int) {
        stack = [.scope(root)]
        stack.reserveCapacity(8)
        output.reserveCapacity(capacity)
    }

    mutating func render(_ nodes: [Node]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                output.append(contentsOf: bytes)
            case .variable(let path, let escaped):
                if let value = lookup(path) { write(value, escaped: escaped) }
            case .section(let path, let children, let inverted):
                let value = lookup(path)
                if inverted {
                    if !(value?.isTruthy ?? false) { render(children) }
                } else if let value, value.isTruthy {
                    renderSection(children, with: value)
                }
            }
        }
    }

    /// A list renders once per item with the item on top of the stack; anything else once.
    private mutating func renderSection(_ children: [Node], with value: TemplateValue) {
        if case .list(let items) = value {
            for item in items {
                stack.append(item)
                render(children)
                stack.removeLast()
            }
        } else {
            stack.append(value)
            render(children)
            stack.removeLast()
        }
    }

    /// The first name is looked up from the innermost scope outwards; the rest of a dotted
    /// name only inside what the first found.
    private func lookup(_ path: [Int32]) -> TemplateValue? {
        guard let first = path.first else { return stack.last }
        var found: TemplateValue?
        var level = stack.count - 1
        while level >= 0 {
            if case .scope(let scope) = stack[level], let value = scope.value(first) {
                found = value
                break
            }
            level -= 1
        }
        for name in path.dropFirst() {
            guard case .scope(let scope)? = found else { return nil }
            found = scope.value(name)
        }
        return found
    }

    private mutating func write(_ value: TemplateValue, escaped: Bool) {
        switch value {
        case .text(let text):
            if escaped { HTML.appendEscaped(text, to: &output) } else { output.append(contentsOf: text.utf8) }
        case .number(let number):
            output.append(contentsOf: String(number).utf8)
        case .flag(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .list, .scope:
            break
        }
    }
}

enum HTML {
    private static let ampersand = Array("&amp;".utf8), lessThan = Array("&lt;".utf8),
                       greaterThan = Array("&gt;".utf8), quote = Array("&quot;".utf8), apostrophe = Array("&#39;".utf8)

    /// Appends `text` with the five characters that matter in HTML text and attributes escaped;
    /// runs without them are copied in one go.
    static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let entity: [UInt8]
                switch bytes[index] {
                case UInt8(ascii: "&"): entity = ampersand
                case UInt8(ascii: "<"): entity = lessThan
                case UInt8(ascii: ">"): entity = greaterThan
                case UInt8(ascii: "\""): entity = quote
                case UInt8(ascii: "'"): entity = apostrophe
                default: continue
                }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                output.append(contentsOf: entity)
                runStart = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }
}
