// swift-tools-version:6.0
// Pictor: a self-hostable AI image generator served by a Swift FastCGI pool behind nginx.
import PackageDescription

/// Lets the app specialise the libraries' generic code (row decoding, rendering) in release builds.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "Pictor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pictor", targets: ["pictor"]),
        // For bench/MustacheCompare, which measures the engine beside swift-mustache.
        .library(name: "Templates", targets: ["Templates"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries: module maps and shim headers only.
        .systemLibrary(name: "CFastCGI", pkgConfig: nil, providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMagickWand", pkgConfig: "MagickWand", providers: [.apt(["libmagickwand-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Hex and base64, pure Swift, shared by the wrappers and the app.
        .target(name: "Codecs", swiftSettings: crossModule),

        // Thin Swift wrappers, one per C library.
        .target(name: "FastCGI", dependencies: ["CFastCGI", "Codecs", .product(name: "Logging", package: "swift-log")],
                swiftSettings: crossModule),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Codecs"], swiftSettings: crossModule),
        .target(name: "Crypto", dependencies: ["COpenSSL", "Codecs"], swiftSettings: crossModule),
        .target(name: "HTTPClient", dependencies: ["CCurl", "Codecs"]),
        .target(name: "Imaging", dependencies: ["CMagickWand", "Codecs"]),

        // Mustache templates compiled once and rendered to bytes (the page hot path).
        .target(name: "Templates", swiftSettings: crossModule),

        // The application and its executable.
        .target(name: "Pictor", dependencies: [
            "FastCGI", "Postgres", "Crypto", "Codecs", "HTTPClient", "Imaging", "Templates",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "pictor", dependencies: [
            "Pictor", "FastCGI", "Postgres", "Imaging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The thumbnail benchmark (bench/thumbnails.sh).
        .executableTarget(name: "imaging-bench", dependencies: ["Imaging"], path: "bench/ThumbnailBench"),
        // The page-render benchmark (bench/templates.sh).
        .executableTarget(name: "template-bench", dependencies: ["Templates"], path: "bench/TemplateBench"),

        // Tests: one target per module, plus the end-to-end suite through nginx.
        .target(name: "TestSupport", dependencies: ["Postgres", "HTTPClient", "Imaging", "Crypto", "Codecs"], path: "Tests/TestSupport"),
        .testTarget(name: "FastCGITests", dependencies: ["FastCGI", "TestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "Codecs"]),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(name: "TemplatesTests", dependencies: ["Templates"]),
        .testTarget(name: "PictorTests", dependencies: ["Pictor", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["HTTPClient", "Postgres", "TestSupport"]),
        // Reads the sources and this manifest: only each C library's wrapper may import it.
        .testTarget(name: "LayeringTests"),
    ],
    swiftLanguageModes: [.v6]
)
