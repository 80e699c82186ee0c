// Walks a program into UTF-8 bytes: a context stack for lookups, HTML escaping done on bytes
// (the page's text is copied as it is, only `& < > " '` are rewritten).

struct Renderer {
    private(set) var output: [UInt8] = []
    private var stack: [TemplateValue]

    init(root: TemplateScope, shared: TemplateScope?, capacity: Int) {
        stack = (shared.map { [.scope($0)] } ?? []) + [.scope(root)]
        stack.reserveCapacity(8)
        output.reserveCapacity(capacity)
    }

    mutating func render(_ program: Program) {
        program.steps.withUnsafeBufferPointer { steps in
            program.text.withUnsafeBufferPointer { text in
                run(steps[...], text: text, tails: program.tails)
            }
        }
    }

    /// Renders `program` again with `scope` innermost, after what is already in the output.
    mutating func render(_ program: Program, in scope: TemplateValue) {
        stack.append(scope)
        render(program)
        stack.removeLast()
    }

    /// Renders a run of steps; a section's steps are run again for each list item.
    private mutating func run(_ steps: Slice<UnsafeBufferPointer<Step>>, text: UnsafeBufferPointer<UInt8>, tails: [[Int32]]) {
        var index = steps.startIndex
        while index < steps.endIndex {
            let step = steps[index]
            switch step.kind {
            case .text:
                let start = Int(step.start)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<start + Int(step.count)]))
                index += 1
            case .escaped, .raw:
                if let value = lookup(step, tails) { write(value, escaped: step.kind == .escaped) }
                index += 1
            case .section:
                let children = steps.base[index + 1..<Int(step.start)]
                if let value = lookup(step, tails), value.isTruthy {
                    if case .list(let items) = value {
                        for item in items { run(children, with: item, text: text, tails: tails) }
                    } else {
                        run(children, with: value, text: text, tails: tails)
                    }
                }
                index = Int(step.start)
            case .inverted:
                if !(lookup(step, tails)?.isTruthy ?? false) {
                    run(steps.base[index + 1..<Int(step.start)], text: text, tails: tails)
                }
                index = Int(step.start)
            }
        }
    }

    private mutating func run(_ steps: Slice<UnsafeBufferPointer<Step>>, with value: TemplateValue,
                              text: UnsafeBufferPointer<UInt8>, tails: [[Int32]]) {
        stack.append(value)
        run(steps, text: text, tails: tails)
        stack.removeLast()
    }

    /// The first name is looked up from the innermost scope outwards; the rest of a dotted
    /// name only inside what the first found.
    private func lookup(_ step: Step, _ tails: [[Int32]]) -> TemplateValue? {
        guard step.name >= 0 else { return stack.last }
        var found: TemplateValue?
        var level = stack.count - 1
        while level >= 0 {
            if case .scope(let scope) = stack[level], let value = scope.value(step.name) {
                found = value
                break
            }
            level -= 1
        }
        guard step.tail >= 0 else { return found }
        for name in tails[Int(step.tail)] {
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
        case .markup(let html):
            output.append(contentsOf: html)
        case .list, .scope, .fields:
            break
        }
    }
}

enum HTML {
    private static let ampersand = Array("&amp;".utf8), lessThan = Array("&lt;".utf8),
                       greaterThan = Array("&gt;".utf8), quote = Array("&quot;".utf8), apostrophe = Array("&#39;".utf8)

    /// The five bytes that need escaping are all below 64: one bit each in a mask.
    private static let specialMask: UInt64 = 1 << 0x22 | 1 << 0x26 | 1 << 0x27 | 1 << 0x3C | 1 << 0x3E

    /// Appends `text` with the five characters that matter in HTML text and attributes escaped;
    /// runs without them are copied in one go. Eight bytes are checked at a time: most values
    /// (ids, URLs, prompts) have nothing to escape.
    static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var runStart = 0, index = 0
            while index < bytes.count {
                if index + 8 <= bytes.count,
                   !mayContainSpecial(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = bytes[index]
                index += 1
                guard byte < 64, specialMask & (1 << UInt64(byte)) != 0 else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index - 1]))
                switch byte {
                case UInt8(ascii: "&"): output.append(contentsOf: ampersand)
                case UInt8(ascii: "<"): output.append(contentsOf: lessThan)
                case UInt8(ascii: ">"): output.append(contentsOf: greaterThan)
                case UInt8(ascii: "\""): output.append(contentsOf: quote)
                default: output.append(contentsOf: apostrophe)
                }
                runStart = index
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// False only if none of the eight bytes is special (the "has a zero byte" word trick, once
    /// per special byte); a true may be a false alarm, and the bytes are then checked one by one.
    @inline(__always)
    private static func mayContainSpecial(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasByte(_ byte: UInt64) -> UInt64 {
            let x = word ^ (byte &* ones)
            return (x &- ones) & ~x & highs
        }
        return (hasByte(0x26) | hasByte(0x3C) | hasByte(0x3E) | hasByte(0x22) | hasByte(0x27)) != 0
    }
}
