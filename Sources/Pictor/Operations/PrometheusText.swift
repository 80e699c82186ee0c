// The Prometheus text exposition format (version 0.0.4), written by hand: families of samples,
// each with its HELP and TYPE lines once.

import Foundation

/// A page of metric families in the order they are added.
struct PrometheusText {
    enum Kind: String { case counter, gauge, histogram }

    private(set) var text = ""
    private var described: Set<String> = []

    /// Starts a family (once per name; a second call with the same name adds nothing).
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        guard described.insert(name).inserted else { return }
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample without labels.
    mutating func sample(_ name: String, _ value: Double) {
        sample(name, "", value)
    }

    /// One sample; `labels` already in Prometheus form (`route="GET /",code="2xx"`), or empty.
    mutating func sample(_ name: String, _ labels: String, _ value: Double) {
        text += name
        if !labels.isEmpty { text += "{" + labels + "}" }
        text += " " + Self.number(value) + "\n"
    }

    /// `name="value"` with the value escaped as the format asks (backslash, quote, newline).
    static func label(_ name: String, _ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return name + "=\"" + escaped + "\""
    }

    /// Whole numbers without a fraction; others as Swift prints them (shortest exact form).
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
