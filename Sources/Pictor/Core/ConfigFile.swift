// Reads Pictor's INI-style config file and applies PICTOR_<SECTION>_<KEY> environment overrides.

import Foundation

/// A config problem, with the file and line when there is one.
public struct ConfigError: Error, CustomStringConvertible {
    public let description: String
}

/// The raw `[section]` / `key = value` pairs of a config file, after environment overrides.
struct ConfigFile {
    var values: [String: String] = [:]   // "section.key" → value
    /// Each key's line in the file, so models can be offered in the order they are written.
    var lines: [String: Int] = [:]

    /// Parses the file text. `#` and `;` start comment lines; values may be quoted.
    init(text: String, path: String) throws {
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw ConfigError(description: "\(path):\(index + 1): expected [section]")
                }
                section = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces).lowercased()
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(description: "\(path):\(index + 1): expected key = value")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" {
                value = String(value.dropFirst().dropLast())
            }
            let name = section.isEmpty ? key : "\(section).\(key)"
            values[name] = value
            lines[name] = lines[name] ?? index
        }
    }

    /// Overrides `section.key` with `PICTOR_SECTION_KEY` (`-` written as `_`) from the environment, so secrets such
    /// as the database password need not sit in the file.
    mutating func applyEnvironment(_ environment: [String: String], knownKeys: [String]) {
        for key in knownKeys {
            let name = "PICTOR_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
            if let value = environment[name] { values[key] = value }
        }
    }
}
