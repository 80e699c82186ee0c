// The three layering rules as functions from what was read to the violations found, one message each.

/// Each message starts with `file:line:` and says what to do instead.
enum LayeringRules {
    /// (a) Only the owning wrapper imports a C module: never another module, a test or a benchmark.
    static func foreignCImports(_ imports: [ImportLine]) -> [String] {
        imports.compactMap { line in
            guard let owner = Layering.owners[line.module] else { return nil }
            let module = SourceScan.sourceModule(of: line.file)
            guard module != owner else { return nil }
            return "\(line.location): `\(line.text)`: only \(owner) may import \(line.module); "
                + "\(module ?? "tests and benchmarks") must use \(owner)'s API instead"
        }
    }

    /// (b) A wrapper imports its C module as `internal`, `fileprivate` or `private`: a plain or
    /// `public` import, or `@_exported`, would show the C symbols to the wrapper's users.
    static func visibleCImports(_ imports: [ImportLine]) -> [String] {
        let allowed: Set = ["internal", "fileprivate", "private"]
        return imports.compactMap { line in
            guard let owner = Layering.owners[line.module], owner == SourceScan.sourceModule(of: line.file) else { return nil }
            guard line.attributes.contains("@_exported") || !allowed.contains(line.accessLevel ?? "") else { return nil }
            return "\(line.location): `\(line.text)` makes \(line.module)'s symbols visible to every user of \(owner); "
                + "write `internal import \(line.module)` (or private/fileprivate)"
        }
    }

    /// (c) In the manifest, every mention of a C module's name is its own declaration or inside
    /// its wrapper's target: a dependency list kept in a variable counts as much as one inline.
    static func foreignCDependencies(manifest: String, path: String = Manifest.path) -> [String] {
        let targets = Manifest.targets(in: manifest)
        var violations: [String] = []
        for (cModule, wrapper) in Layering.owners.sorted(by: { $0.key < $1.key }) {
            var searchFrom = manifest.startIndex
            while let found = manifest.range(of: "\"\(cModule)\"", range: searchFrom..<manifest.endIndex) {
                searchFrom = found.upperBound
                let declaration = targets.first { $0.range.contains(found.lowerBound) }
                if let declaration, (declaration.kind, declaration.name) == ("systemLibrary", cModule)
                    || (declaration.kind, declaration.name) == ("target", wrapper) { continue }
                let who = declaration.map { "the target \($0.name)" } ?? "a declaration outside any target"
                violations.append("\(path):\(Manifest.line(of: found.lowerBound, in: manifest)): \(who) depends on "
                    + "\(cModule); only \(wrapper) may (everything else goes through \(wrapper))")
            }
        }
        return violations
    }
}
