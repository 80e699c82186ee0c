// A linked tree flattened for rendering: all literal text in one byte buffer and a flat list of
// small plain steps that point into it. Rendering then walks integers and copies byte ranges,
// with no reference counting per step (a tree of enums with array payloads retained and
// released something at every node, which dominated render profiles).

/// One step. Plain values only, so a step is copied for free.
struct Step {
    enum Kind: UInt8 { case text, escaped, raw, section, inverted }

    let kind: Kind
    /// The first name of the path (-1 for `{{.}}`).
    let name: Int32
    /// The rest of a dotted path, as an index into `Program.tails` (-1: not dotted).
    let tail: Int32
    /// Text: the first byte in `Program.text`. Sections: the index just past the section's steps.
    let start: Int32
    /// Text: how many bytes.
    let count: Int32
}

struct Program: Sendable {
    private(set) var steps: [Step] = []
    private(set) var text: [UInt8] = []
    /// Names after the first in dotted paths (`nav.gallery` → [gallery]).
    private(set) var tails: [[Int32]] = []

    init(_ nodes: [Node]) {
        append(nodes)
    }

    /// Bytes of text outside sections: a page renders at least this much.
    var fixedSize: Int {
        var total = 0, index = 0
        while index < steps.count {
            let step = steps[index]
            switch step.kind {
            case .text: total += Int(step.count); index += 1
            case .section, .inverted: index = Int(step.start)
            case .escaped, .raw: index += 1
            }
        }
        return total
    }

    private mutating func append(_ nodes: [Node]) {
        for node in nodes {
            switch node {
            case .text(let bytes):
                steps.append(Step(kind: .text, name: -1, tail: -1, start: Int32(text.count), count: Int32(bytes.count)))
                text += bytes
            case .variable(let path, let escaped):
                let (name, tail) = split(path)
                steps.append(Step(kind: escaped ? .escaped : .raw, name: name, tail: tail, start: 0, count: 0))
            case .section(let path, let children, let inverted):
                let (name, tail) = split(path)
                let at = steps.count
                steps.append(Step(kind: .section, name: 0, tail: 0, start: 0, count: 0))  // placeholder
                append(children)
                steps[at] = Step(kind: inverted ? .inverted : .section, name: name, tail: tail,
                                 start: Int32(steps.count), count: 0)
            }
        }
    }

    private mutating func split(_ path: [Int32]) -> (name: Int32, tail: Int32) {
        guard let first = path.first else { return (-1, -1) }
        guard path.count > 1 else { return (first, -1) }
        tails.append(Array(path.dropFirst()))
        return (first, Int32(tails.count - 1))
    }
}
