// swift-tools-version:6.0
// Pictor's template engine beside swift-mustache on the real gallery page (bench/templates-compare.sh);
// a package of its own so the app never builds swift-mustache.
import PackageDescription

let package = Package(
    name: "MustacheCompare",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Pictor", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
    ],
    targets: [
        .executableTarget(name: "mustache-compare", dependencies: [
            .product(name: "Templates", package: "Pictor"),
            .product(name: "Mustache", package: "swift-mustache"),
        ], path: "Sources", swiftSettings: [
            // As the app is built: generic library code specialised for its callers.
            .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
