// What a template reads: text, numbers, flags, lists and nested scopes. A handler passes plain
// dictionaries; they are converted once per render, keeping only the names templates use.

/// A value a template can show (`{{name}}`) or branch and loop on (`{{#name}}`).
public enum TemplateValue {
    case text(String)
    case number(Int)
    case flag(Bool)
    case list([TemplateValue])
    case scope(TemplateScope)

    /// Mustache truthiness: false, an empty list and absence hide a section; anything else
    /// (including "" and 0) shows it.
    var isTruthy: Bool {
        switch self {
        case .flag(let flag): return flag
        case .list(let items): return !items.isEmpty
        case .text, .number, .scope: return true
        }
    }
}

/// Named values, keyed by the numbers the linker gave the names. Scopes are small (a page's
/// values, or one gallery tile), so a linear scan of integers beats hashing.
public struct TemplateScope {
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

    func convert(_ value: Any) -> TemplateValue? {
        switch value {
        case let text as String: return .text(text)
        case let flag as Bool: return .flag(flag)
        case let number as Int: return .number(number)
        case let dictionary as [String: Any]: return .scope(scope(dictionary))
        case let list as [[String: Any]]: return .list(list.map { .scope(scope($0)) })
        case let list as [Any]: return .list(list.compactMap(convert))
        case let converted as TemplateValue: return converted
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
