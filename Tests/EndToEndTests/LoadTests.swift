// 256 connections through nginx with wrk, while workers recycle and the pool reloads: nothing
// may fail, nginx's error log included (it hides what it retries).

import Foundation
import HTTPClient
import TestSupport
import XCTest

final class LoadTests: XCTestCase {
    private var stack: PictorStack!

    override func tearDown() {
        stack?.stop()
        stack = nil
    }

    /// What one wrk run saw: answers by status, and connect/read/write/timeout errors.
    struct Run: CustomStringConvertible {
        var statuses: [Int: Int] = [:]
        var socketErrors = 0
        var total: Int { statuses.values.reduce(0, +) }
        var serverErrors: Int { statuses.filter { $0.key >= 500 }.values.reduce(0, +) }
        var description: String { "statuses \(statuses.sorted { $0.key < $1.key }), socket errors \(socketErrors)" }
    }

    /// Runs wrk against `path` with `connections` connections for `seconds`.
    private func wrk(_ path: String, method: String = "GET", body: String = "", headers: [(String, String)] = [],
                     connections: Int = 256, seconds: Int = 8) throws -> Run {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let script = stack.state + "/load-\(UUID().uuidString.prefix(8)).lua"
        try ("""
            wrk.method = \(quoted(method))
            wrk.body = \(quoted(body))
            \(headers.map { "wrk.headers[\(quoted($0.0))] = \(quoted($0.1))" }.joined(separator: "\n"))
            local threads = {}
            function setup(thread) table.insert(threads, thread) end
            function init(args) statuses = {} end
            function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
            function done(summary, latency, requests)
              for _, thread in ipairs(threads) do
                for status, count in pairs(thread:get("statuses")) do io.write(string.format("status %d %d\\n", status, count)) end
              end
              local e = summary.errors
              io.write(string.format("socket errors %d\\n", e.connect + e.read + e.write + e.timeout))
            end
            """).write(toFile: script, atomically: true, encoding: .utf8)
        let output = try runCommand("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d\(seconds)s", "--timeout", "10s", "-s", script,
                                                     stack.baseURL + path])
        var run = Run()
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 3, words[0] == "status", let status = Int(words[1]), let count = Int(words[2]) {
                run.statuses[status, default: 0] += count
            } else if line.hasPrefix("socket errors "), let count = Int(words.last ?? "") {
                run.socketErrors = count
            }
        }
        return run
    }

    private func upstreamErrors() -> [Substring] {
        stack.nginxErrorLog().split(separator: "\n").filter { $0.contains("upstream") }
    }

    func testGalleryAndTheAPIUnderLoadWhileWorkersRecycle() throws {
        stack = try PictorStack(settings: ["server.max_requests": "400"])
        let user = try APIUser.create(on: stack)
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.signUp(email: uniqueEmail()).status, 303)
        let cookie = browser.cookies.map { $0.key + "=" + $0.value }.joined(separator: "; ")

        let gallery = try wrk("/gallery", headers: [("Cookie", cookie)])
        let list = try wrk("/api/v1/generations", headers: [user.auth])
        // Refused by the API (an empty prompt), after the key and the body were read.
        let post = try wrk("/api/v1/generations", method: "POST", body: #"{"prompt": ""}"#,
                           headers: [user.auth, ("Content-Type", "application/json")])
        for (name, run, expected) in [("gallery", gallery, 200), ("list", list, 200), ("post", post, 400)] {
            XCTAssertGreaterThan(run.total, 400, "\(name): \(run)")
            XCTAssertEqual(Array(run.statuses.keys), [expected], "\(name): \(run)")
            XCTAssertEqual(run.socketErrors, 0, "\(name): \(run)")
        }
        XCTAssertGreaterThan(stack.pictorLog().components(separatedBy: "is recycling").count - 1, 3, "workers recycled during the runs")
        XCTAssertEqual(upstreamErrors(), [], "nginx met no closed or reset connection")
    }

    func testPostsUnderLoadWhileThePoolReloadsEverySecond() throws {
        stack = try PictorStack()
        let master = stack.masterPID
        let reloading = DispatchSemaphore(value: 0)
        let reloader = Thread {
            while reloading.wait(timeout: .now() + 1) == .timedOut { kill(master, SIGHUP) }
        }
        reloader.start()
        let post = try wrk("/api/v1/generations", method: "POST", body: #"{"prompt": "a fox"}"#,
                           headers: [("Content-Type", "application/json")])
        reloading.signal()
        XCTAssertGreaterThan(post.total, 400, "\(post)")
        XCTAssertEqual(Array(post.statuses.keys), [401], "every POST answered by the app (no key): \(post)")
        XCTAssertEqual(post.socketErrors, 0)
        XCTAssertGreaterThanOrEqual(stack.pictorLog().components(separatedBy: "reloading").count - 1, 6)
        XCTAssertEqual(upstreamErrors(), [])
    }
}
