// What the app's unit tests share: the repository's paths, and an App whose database is
// unreachable, answering requests without nginx.

import FastCGI
import Foundation
import Logging
@testable import Pictor

enum PictorPaths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}

enum TestApp {
    /// The shipped templates and defaults, with a database that cannot be reached: what needs
    /// PostgreSQL fails as it would during an outage.
    static func make(_ configure: (inout Config) -> Void = { _ in }) throws -> App {
        var config = Config()
        config.paths.templates = PictorPaths.root + "/templates"
        config.paths.publicFiles = PictorPaths.root + "/public"
        config.paths.commonPasswords = PictorPaths.root + "/data/common-passwords.txt"
        config.moderation.blocklist = PictorPaths.root + "/data/moderation-blocklist.txt"
        config.databaseURL = "postgresql:///unused?host=/nonexistent&connect_timeout=1"
        configure(&config)
        return try App(config: config, logger: Logger(label: "test"))
    }

    /// A request as nginx would send it.
    static func request(_ method: String, _ uri: String, headers: [String: String] = [:], body: String = "",
                        params: [String: String] = [:]) -> Request {
        var all = ["REQUEST_METHOD": method, "REQUEST_URI": uri,
                   "QUERY_STRING": uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""]
        for (name, value) in headers {
            all["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value
        }
        if let type = headers["Content-Type"] { all["CONTENT_TYPE"] = type }
        all.merge(params) { $1 }
        return Request(params: all, body: Array(body.utf8))
    }
}

extension Response {
    var text: String { String(decoding: body, as: UTF8.self) }

    var jsonObject: NSDictionary? { (try? JSONSerialization.jsonObject(with: Data(body))) as? NSDictionary }
}
