// The layering rule, checked on the text of the repository: a C library is reached only through its wrapper.
import Foundation
import XCTest

/// Each C module (CFastCGI, CLibPQ, CMagickWand, CCurl, COpenSSL) belongs to one wrapper module
/// (FastCGI, Postgres, Imaging, HTTPClient, Crypto). Nothing else imports it or depends on it,
/// and the wrapper imports it below `public`, so no C symbol or type reaches the wrapper's users.
/// Each failure names the file and line that break the rule.
final class LayeringTests: XCTestCase {
    /// Read once for the three tests: the scan is the slow part.
    private static let scanned: Result<[ImportLine], Error> = Result {
        try SourceScan.swiftFiles().flatMap(SourceScan.imports(in:))
    }

    private func imports() throws -> [ImportLine] {
        let imports = try Self.scanned.get()
        // Guards against a scan that silently finds nothing (a moved test file, a wrong root).
        for (cModule, wrapper) in Layering.owners.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(imports.contains { $0.module == cModule && SourceScan.sourceModule(of: $0.file) == wrapper },
                          "no file of \(wrapper) imports \(cModule) (scanned \(Layering.root.path))")
        }
        return imports
    }

    func testOnlyTheOwningWrapperImportsEachCModule() throws {
        for violation in LayeringRules.foreignCImports(try imports()) { XCTFail(violation) }
    }

    func testWrappersImportTheirCModuleBelowPublic() throws {
        for violation in LayeringRules.visibleCImports(try imports()) { XCTFail(violation) }
    }

    func testOnlyTheOwningWrapperDependsOnEachCModuleInThePackage() throws {
        let manifest = try Manifest.text()
        let targets = Manifest.targets(in: manifest)
        for (cModule, wrapper) in Layering.owners.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(targets.contains { ($0.kind, $0.name) == ("systemLibrary", cModule) }, "\(cModule) is not declared")
            XCTAssertTrue(targets.contains { ($0.kind, $0.name) == ("target", wrapper) }, "\(wrapper) is not declared")
        }
        for violation in LayeringRules.foreignCDependencies(manifest: manifest) { XCTFail(violation) }
    }
}

/// The rules on made-up files, so that a rule that silently stopped matching would show.
final class LayeringRulesTests: XCTestCase {
    func testReadsEveryFormOfImportAndIgnoresCommentsAndStrings() {
        let quotes = String(repeating: "\"", count: 3)  // written out, this file would hold a nested literal
        let text = [
            "// Header line.",
            "import Foundation",
            "internal import CCurl",
            "  @preconcurrency private import CLibPQ",
            "@_exported import COpenSSL; import struct CFastCGI.FCGX_Request",
            "public import CMagickWand // trailing comment",
            "// import CCurl",
            "let text = " + quotes,
            "import CCurl",
            quotes,
        ].joined(separator: "\n")
        let found = SourceScan.imports(inText: text, file: "Sources/HTTPClient/X.swift")
        XCTAssertEqual(found.map(\.module), ["Foundation", "CCurl", "CLibPQ", "COpenSSL", "CFastCGI", "CMagickWand"])
        XCTAssertEqual(found.map(\.line), [2, 3, 4, 5, 5, 6])
        XCTAssertEqual(found.map(\.accessLevel), [nil, "internal", "private", nil, nil, "public"])
        XCTAssertEqual(found[2].attributes, ["@preconcurrency"])
        XCTAssertEqual(found[3].attributes, ["@_exported"])
    }

    func testFlagsCImportsOutsideTheirWrapper() {
        let imports = SourceScan.imports(inText: "internal import CCurl\n", file: "Sources/HTTPClient/A.swift")
            + SourceScan.imports(inText: "import Foundation\nimport CCurl\n", file: "Sources/Pictor/B.swift")
            + SourceScan.imports(inText: "@testable import Imaging\nimport CMagickWand\n", file: "Tests/ImagingTests/C.swift")
            + SourceScan.imports(inText: "private import CLibPQ\n", file: "bench/SomeBench/main.swift")
        let violations = LayeringRules.foreignCImports(imports)
        XCTAssertEqual(violations.map { $0.prefix { $0 != " " } },
                       ["Sources/Pictor/B.swift:2:", "Tests/ImagingTests/C.swift:2:", "bench/SomeBench/main.swift:1:"])
    }

    func testFlagsWrapperImportsThatShowTheCSymbols() {
        let text = "import CCurl\npublic import CCurl\n@_exported internal import CCurl\ninternal import CCurl\n"
            + "private import CCurl\nfileprivate import CCurl\nimport Foundation\n"
        let violations = LayeringRules.visibleCImports(SourceScan.imports(inText: text, file: "Sources/HTTPClient/A.swift"))
        XCTAssertEqual(violations.map { $0.prefix { $0 != " " } },
                       ["Sources/HTTPClient/A.swift:1:", "Sources/HTTPClient/A.swift:2:", "Sources/HTTPClient/A.swift:3:"])
    }

    func testFlagsManifestDependenciesOnCModulesOutsideTheirWrapper() {
        let manifest = """
            let cLibraries: [Target.Dependency] = ["CCurl"]
            let package = Package(name: "X", targets: [
                .systemLibrary(name: "CCurl", pkgConfig: "libcurl"),
                .target(name: "HTTPClient", dependencies: ["CCurl"], swiftSettings: [.define("A(B")]),
                .target(name: "App", dependencies: [
                    "HTTPClient",
                    .target(name: "CCurl"),
                ]),
                .testTarget(name: "AppTests", dependencies: cLibraries),
            ])
            """
        let violations = LayeringRules.foreignCDependencies(manifest: manifest, path: "P.swift")
        XCTAssertEqual(violations.count, 2, "\(violations)")
        XCTAssertTrue(violations[0].hasPrefix("P.swift:1: a declaration outside any target depends on CCurl"), violations[0])
        XCTAssertTrue(violations[1].hasPrefix("P.swift:7: the target App depends on CCurl"), violations[1])
    }
}
