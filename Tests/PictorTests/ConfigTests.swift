// The config file format, environment overrides and the errors sysadmins see.

@testable import Pictor
import XCTest

final class ConfigTests: XCTestCase {
    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testReadsSectionsCommentsAndQuotedValues() throws {
        let path = try write("""
        # comment
        ; another comment
        [server]
        listen = 127.0.0.1:9000
        workers = 4
        threads=16
        max_requests = 1_000
        access_log = off
        listen_mode = 0600
        [site]
        name = "My Pictor"
        [database]
        url = postgresql://pictor@db/pictor?sslmode=require
        """)
        let config = try Config.load(path: path, environment: [:])
        XCTAssertEqual(config.server.listen, "127.0.0.1:9000")
        XCTAssertEqual(config.server.workers, 4)
        XCTAssertEqual(config.server.threads, 16)
        XCTAssertEqual(config.server.maxRequests, 1000)
        XCTAssertFalse(config.server.accessLog)
        XCTAssertEqual(config.server.listenMode, 0o600)
        XCTAssertEqual(config.site.name, "My Pictor")
        XCTAssertEqual(config.databaseURL, "postgresql://pictor@db/pictor?sslmode=require")
        XCTAssertEqual(config.source, path)
    }

    func testEnvironmentOverridesTheFile() throws {
        let path = try write("[database]\nurl = postgresql:///file\n[server]\nworkers = 2\n")
        let config = try Config.load(path: path, environment: [
            "PICTOR_DATABASE_URL": "postgresql://secret@db/pictor", "PICTOR_SERVER_WORKERS": "3", "UNRELATED": "x",
        ])
        XCTAssertEqual(config.databaseURL, "postgresql://secret@db/pictor")
        XCTAssertEqual(config.server.workers, 3)
    }

    func testDefaultsWithoutAFile() throws {
        let config = try Config.load(path: nil, environment: [:])
        XCTAssertEqual(config.server.workers, 2)
        XCTAssertEqual(config.server.maxBodyBytes, 10 << 20)
        XCTAssertEqual(config.models.map(\.name), ["flux-schnell", "sdxl", "flux-schnell-hd"])
        XCTAssertEqual(config.models.map(\.creditCost), [1, 2, 3])
        XCTAssertEqual(config.accounts.signupPerHour, 5)
        XCTAssertEqual(config.paths.commonPasswords, "data/common-passwords.txt")
    }

    func testUnknownSettingIsAnError() throws {
        let path = try write("[server]\nworker = 4\n")
        XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
            XCTAssertEqual("\(error)", "\(path): unknown setting 'server.worker'")
        }
    }

    func testBadValuesNameTheSetting() throws {
        for (text, message) in [
            ("[server]\nworkers = many\n", "server.workers must be a whole number in 1…256, got 'many'"),
            ("[server]\nworkers = 0\n", "server.workers must be a whole number in 1…256, got '0'"),
            ("[server]\naccess_log = maybe\n", "server.access_log must be on or off, got 'maybe'"),
            ("[server]\nlisten_mode = 999\n", "server.listen_mode must be an octal file mode such as 0660, got '999'"),
        ] {
            let path = try write(text)
            XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testSyntaxErrorsNameTheLine() throws {
        let path = try write("[server]\nworkers 4\n")
        XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { error in
            XCTAssertEqual("\(error)", "\(path):2: expected key = value")
        }
    }

    func testMissingExplicitFileIsAnError() {
        XCTAssertThrowsError(try Config.load(path: "/nonexistent/pictor.conf", environment: [:]))
    }

    func testShippedConfigFileLoads() throws {
        let config = try Config.load(path: PictorPaths.root + "/pictor.conf", environment: [:])
        XCTAssertEqual(config.server.listen, "var/run/pictor.sock")
    }

    func testPlansDisplay() {
        XCTAssertEqual(Plan.defaults.map(\.displayPrice), ["$0", "$9", "$29", "$79"])
        XCTAssertEqual(Plan.defaults.map(\.displayCredits), ["50", "500", "2,000", "8,000"])
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 950, monthlyCredits: 1_234_567).displayPrice, "$9.50")
        XCTAssertEqual(Plan(id: "x", name: "X", priceCents: 950, monthlyCredits: 1_234_567).displayCredits, "1,234,567")
    }
}
