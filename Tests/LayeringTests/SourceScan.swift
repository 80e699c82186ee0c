// Reads the repository's Swift files and Package.swift as text: their import lines and target declarations.
import Foundation

/// The C modules and, for each, the one wrapper module allowed to use it.
enum Layering {
    static let owners: [String: String] = [
        "CFastCGI": "FastCGI", "CLibPQ": "Postgres", "CMagickWand": "Imaging", "CCurl": "HTTPClient", "COpenSSL": "Crypto",
    ]

    /// The repository root: this file is Tests/LayeringTests/SourceScan.swift.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// One `import` declaration as written.
struct ImportLine {
    /// Path from the repository root, e.g. `Sources/Postgres/Rows.swift`.
    let file: String
    let line: Int
    let module: String
    /// `public`, `package`, `internal`, `fileprivate`, `private`, or nil when none is written.
    let accessLevel: String?
    /// Attributes such as `@testable` or `@_exported`, without arguments.
    let attributes: [String]
    let text: String

    var location: String { "\(file):\(line)" }
}

enum SourceScan {
    /// Every Swift file under `Sources/`, `Tests/` and `bench/`, as paths from the root, sorted.
    static func swiftFiles() -> [String] {
        var files: [String] = []
        for top in ["Sources", "Tests", "bench"] {
            let base = Layering.root.appendingPathComponent(top)
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            for case let path as String in walker where path.hasSuffix(".swift") {
                files.append(top + "/" + path)
            }
        }
        return files.sorted()
    }

    /// The module a source file belongs to: the folder under `Sources/` (SwiftPM's default
    /// layout, which Package.swift keeps for every library); nil for tests and benchmarks.
    static func sourceModule(of file: String) -> String? {
        let parts = file.split(separator: "/")
        return parts.count > 2 && parts[0] == "Sources" ? String(parts[1]) : nil
    }

    static func text(of file: String) throws -> String {
        try String(contentsOf: Layering.root.appendingPathComponent(file), encoding: .utf8)
    }

    /// The import declarations of a file. Comments after `//` and string literals are skipped,
    /// so text that merely mentions an import is not taken for one.
    static func imports(in file: String) throws -> [ImportLine] {
        imports(inText: try text(of: file), file: file)
    }

    static func imports(inText text: String, file: String) -> [ImportLine] {
        var found: [ImportLine] = []
        var inMultilineString = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            let opensOrCloses = line.components(separatedBy: "\"\"\"").count % 2 == 0
            defer { if opensOrCloses { inMultilineString.toggle() } }
            if inMultilineString { continue }
            // String contents go first, so that neither `//` nor `;` inside one counts.
            line = Substring(line.replacingOccurrences(of: #""(?:[^"\\]|\\.)*""#, with: "\"\"", options: .regularExpression))
            if let comment = line.range(of: "//") { line = line[..<comment.lowerBound] }
            for statement in line.split(separator: ";") {
                if let parsed = parse(String(statement), file: file, line: index + 1) { found.append(parsed) }
            }
        }
        return found
    }

    private static let accessLevels: Set = ["public", "package", "internal", "fileprivate", "private"]
    private static let importKinds: Set = ["typealias", "struct", "class", "enum", "protocol", "let", "var", "func"]

    /// `[@attribute…] [access level] [@attribute…] import [kind] Module[.Submodule]`, or nil.
    private static func parse(_ statement: String, file: String, line: Int) -> ImportLine? {
        // Attribute arguments, as in @_spi(Name), are dropped first: they may hold spaces.
        let plain = statement.replacingOccurrences(of: #"\([^)]*\)"#, with: "", options: .regularExpression)
        var words = plain.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        var attributes: [String] = [], accessLevel: String?
        while let word = words.first, word != "import" {
            if word.hasPrefix("@") {
                attributes.append(word)
            } else if accessLevels.contains(word), accessLevel == nil {
                accessLevel = word
            } else {
                return nil
            }
            words = words.dropFirst()
        }
        guard words.popFirst() == "import", var module = words.popFirst() else { return nil }
        if importKinds.contains(module), let path = words.popFirst() { module = path }
        module = String(module.prefix { $0 != "." })
        return ImportLine(file: file, line: line, module: module, accessLevel: accessLevel, attributes: attributes,
                          text: statement.trimmingCharacters(in: .whitespaces))
    }
}

/// A declaration in Package.swift's `targets:` list, with the text of its whole call.
struct TargetDeclaration {
    /// `target`, `executableTarget`, `testTarget`, `systemLibrary`, …
    let kind: String
    let name: String
    let range: Range<String.Index>
}

enum Manifest {
    static let path = "Package.swift"

    static func text() throws -> String { try SourceScan.text(of: path) }

    /// Every top-level `.kind(name: "…", …)` call in the manifest, found by matching its
    /// parentheses (string literals are skipped, so a parenthesis inside one does not count).
    /// A `.target(name:)` written as another target's dependency is part of that target.
    static func targets(in manifest: String) -> [TargetDeclaration] {
        let all = declarations(in: manifest)
        return all.filter { inner in !all.contains { $0.range != inner.range && $0.range.contains(inner.range.lowerBound) } }
    }

    private static func declarations(in manifest: String) -> [TargetDeclaration] {
        let kinds = ["target", "executableTarget", "testTarget", "systemLibrary", "binaryTarget", "macro", "plugin"]
        let pattern = #"\.("# + kinds.joined(separator: "|") + #")\(\s*name:\s*"([^"]+)""#
        let regex = try! NSRegularExpression(pattern: pattern)
        let whole = NSRange(manifest.startIndex..., in: manifest)
        return regex.matches(in: manifest, range: whole).compactMap { match in
            guard let start = Range(match.range, in: manifest), let kind = Range(match.range(at: 1), in: manifest),
                  let name = Range(match.range(at: 2), in: manifest),
                  let open = manifest[start].firstIndex(of: "("),
                  let end = closingParenthesis(in: manifest, openingAt: open)
            else { return nil }
            return TargetDeclaration(kind: String(manifest[kind]), name: String(manifest[name]), range: start.lowerBound..<end)
        }
    }

    /// The index just past the parenthesis that closes the one at `open`.
    private static func closingParenthesis(in text: String, openingAt open: String.Index) -> String.Index? {
        var depth = 0, inString = false, index = open
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if character == "\\" { index = text.index(after: index) } else if character == "\"" { inString = false }
            } else if character == "\"" {
                inString = true
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth == 0 { return text.index(after: index) }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// 1-based line number of a position in `text`.
    static func line(of index: String.Index, in text: String) -> Int {
        text[..<index].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}
