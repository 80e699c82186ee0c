// What a template reads: text, numbers, flags, lists and nested scopes. A handler passes plain
// dictionaries, or typed `TemplateFields` where a page repeats many items (gallery tiles); both
// are converted once per render, keeping only the names templates use.

/// A value a template can show (`{{name}}`) or branch and loop on (`{{#name}}`).
public enum TemplateValue: Sendable {
    case text(String)
    case number(Int)
    case flag(Bool)
    case list([TemplateValue])
    case scope(TemplateScope)
    /// HTML rendered earlier (see `TemplateLibrary.render(_:each:shared:)`), written as it is
    /// wherever it is used: it is already escaped.
    case markup([UInt8])
    /// Named values nested in a view model (a form, one row of a list), numbered into a
    /// `scope` when the render starts.
    case fields(TemplateFields)

    /// Mustache truthiness: false, an empty list and absence hide a section; anything else
    /// (including "" and 0) shows it.
    var isTruthy: Bool {
        switch self {
        case .flag(let flag): return flag
        case .list(let items): return !items.isEmpty
        case .text, .number, .scope, .markup, .fields: return true
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
    public init(integerLiteral value: Int) { self = .number(value) }
}

/// Named values typed up front: `["id": .text(id), "is_pending": true]`. Cheaper than a
/// `[String: Any]` for a list of many items: nothing is hashed or boxed until the render, and
/// no value's type needs to be looked up at run time.
public struct TemplateFields: ExpressibleByDictionaryLiteral, Sendable {
    fileprivate var pairs: [(name: String, value: TemplateValue)]

    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        pairs = elements.map { (name: $0.0, value: $0.1) }
    }

    /// Whether a value of this name was added.
    public func contains(_ name: String) -> Bool {
        pairs.contains { $0.name == name }
    }

    /// Adds a value (a later one of the same name does not replace an earlier one: add each once).
    public mutating func add(_ name: String, _ value: TemplateValue) {
        pairs.append((name, value))
    }

    /// Adds a value when there is one: nil stays absent, so `{{#name}}` hides its section.
    public mutating func add(_ name: String, _ value: TemplateValue?) {
        if let value { pairs.append((name, value)) }
    }

    /// Text, or nothing for nil.
    public mutating func add(_ name: String, _ text: String?) {
        if let text { pairs.append((name, .text(text))) }
    }

    /// A number, or nothing for nil.
    public mutating func add(_ name: String, _ number: Int?) {
        if let number { pairs.append((name, .number(number))) }
    }

    /// A flag: true shows `{{#name}}`, false shows `{{^name}}`.
    public mutating func add(_ name: String, _ flag: Bool) {
        pairs.append((name, .flag(flag)))
    }

    /// A nested view model, or nothing for nil.
    public mutating func add(_ name: String, _ model: (some TemplateModel)?) {
        if let model { pairs.append((name, .fields(model.templateFields))) }
    }

    /// A list of view models (`{{#name}}…{{/name}}` repeats for each).
    public mutating func add(_ name: String, _ models: [some TemplateModel]) {
        pairs.append((name, .list(models.map { .fields($0.templateFields) })))
    }
}

/// A typed value a template reads: a page's view model, or a part of one. It names its fields
/// for the template in one place, so renaming a property is a compile error, not a blank page.
public protocol TemplateModel {
    var templateFields: TemplateFields { get }
}

/// Named values, keyed by the numbers the linker gave the names. Scopes are small (a page's
/// values, or one gallery tile), so a linear scan of integers beats hashing.
public struct TemplateScope: Sendable {
    private var entries: [(name: Int32, value: TemplateValue)] = []

    init(capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    mutating func set(_ name: Int32, _ value: TemplateValue) {
        entries.append((name, value))
    }

    func value(_ name: Int32) -> TemplateValue? {
        entries.withUnsafeBufferPointer { entries in
            for entry in entries where entry.name == name { return entry.value }
            return nil
        }
    }
}

/// Converts handler dictionaries: names no template uses are dropped, nil optionals are absent
/// (so `{{#key}}` stays hidden), and unknown types show their description.
struct ValueConverter {
    let names: [String: Int32]

    func scope(_ dictionary: [String: Any]) -> TemplateScope {
        var scope = TemplateScope(capacity: dictionary.count)
        for (key, value) in dictionary {
            guard let name = names[key], let converted = convert(value) else { continue }
            scope.set(name, converted)
        }
        return scope
    }

    func scope(_ fields: TemplateFields) -> TemplateScope {
        var known: [(name: String, number: Int32?)] = []
        return scope(fields, known: &known)
    }

    /// The items of a list are usually made by one function, with the same names in the same
    /// order: each item first tries the number found at its position in the one before.
    /// Comparing a name with the same literal is far cheaper than hashing it.
    func scopes(_ list: [TemplateFields]) -> [TemplateValue] {
        var known: [(name: String, number: Int32?)] = []
        return list.map { .scope(scope($0, known: &known)) }
    }

    private func scope(_ fields: TemplateFields, known: inout [(name: String, number: Int32?)]) -> TemplateScope {
        var scope = TemplateScope(capacity: fields.pairs.count)
        for (position, (key, value)) in fields.pairs.enumerated() {
            let number: Int32?
            if position < known.count, known[position].name == key {
                number = known[position].number
            } else {
                number = names[key]
                if position < known.count { known[position] = (key, number) } else { known.append((key, number)) }
            }
            if let number { scope.set(number, linked(value)) }
        }
        return scope
    }

    /// Nested typed values become scopes in this library's numbering; the rest is final.
    private func linked(_ value: TemplateValue) -> TemplateValue {
        switch value {
        case .fields(let fields):
            return .scope(scope(fields))
        case .list(let items):
            guard items.contains(where: Self.holdsFields) else { return value }
            var known: [(name: String, number: Int32?)] = []
            return .list(items.map { item in
                if case .fields(let fields) = item { return .scope(scope(fields, known: &known)) }
                return linked(item)
            })
        default:
            return value
        }
    }

    /// Whether typed fields are left to number, directly or in lists at any depth.
    private static func holdsFields(_ value: TemplateValue) -> Bool {
        switch value {
        case .fields: return true
        case .list(let items): return items.contains(where: holdsFields)
        default: return false
        }
    }

    func convert(_ value: Any) -> TemplateValue? {
        // Cheapest casts first: a failed cast to an array or dictionary type checks elements.
        switch value {
        case let converted as TemplateValue: return linked(converted)
        case let text as String: return .text(text)
        case let flag as Bool: return .flag(flag)
        case let number as Int: return .number(number)
        case let fields as TemplateFields: return .scope(scope(fields))
        case let list as [TemplateFields]: return .list(scopes(list))
        case let dictionary as [String: Any]: return .scope(scope(dictionary))
        case let list as [[String: Any]]: return .list(list.map { .scope(scope($0)) })
        case let list as [Any]: return .list(list.compactMap(convert))
        case let optional as AnyOptional where optional.isNone: return nil
        default: return .text(String(describing: value))
        }
    }
}

private protocol AnyOptional {
    var isNone: Bool { get }
}

extension Optional: AnyOptional {
    fileprivate var isNone: Bool { self == nil }
}
