// What a sysadmin watches, through nginx: /metrics for Prometheus, /status like php-fpm's,
// the slow-request log and the one structured line per request.

import Foundation
import HTTPClient
import TestSupport
import XCTest

final class OperationsTests: XCTestCase {
    private var stack: PictorStack!
    private let client = HTTPClient(connectTimeout: 2, timeout: 30)

    override func tearDown() {
        stack?.stop()
        stack = nil
    }

    /// The value of one sample of the metrics page (`name{labels} value`), nil if absent.
    private func sample(_ page: String, _ series: String) -> Double? {
        page.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    private func metrics() throws -> String {
        let response = try client.get(stack.baseURL + "/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(response.header("cache-control"), "no-store")
        return response.text
    }

    func testMetricsCountTheWholePoolByRouteAndStatus() throws {
        stack = try PictorStack(workers: 2)
        // Both workers past start-up (a forked worker reads its config before it serves).
        try stack.waitFor("two workers serving") {
            (try? self.metrics()).flatMap { self.sample($0, #"pictor_pool_workers{state="serving"}"#) } == 2
        }
        // Several connections at once, so both workers answer some.
        let group = DispatchGroup(), base = stack.baseURL
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                let client = HTTPClient(connectTimeout: 2, timeout: 10)
                for _ in 0..<10 { _ = try? client.get(base + "/terms") }
                _ = try? client.get(base + "/no-such-page")
            }
        }
        group.wait()
        let page = try metrics()
        // Exact counts: each worker adds to its own slot and the page sums them all.
        XCTAssertEqual(sample(page, #"pictor_http_requests_total{route="GET /terms",code="2xx"}"#), 40, page)
        XCTAssertEqual(sample(page, #"pictor_http_requests_total{route="other",code="4xx"}"#), 4)
        XCTAssertEqual(sample(page, #"pictor_http_request_duration_seconds_count{route="GET /terms"}"#), 40)
        XCTAssertEqual(sample(page, #"pictor_http_request_duration_seconds_bucket{route="GET /terms",le="+Inf"}"#), 40)
        XCTAssertEqual(sample(page, #"pictor_pool_workers{state="serving"}"#), 2)
        XCTAssertEqual(sample(page, #"pictor_pool_threads{state="busy"}"#), 1, "the thread answering this scrape")
        XCTAssertEqual(sample(page, #"pictor_pool_threads{state="idle"}"#), 7)
        XCTAssertEqual(sample(page, "pictor_database_up"), 1)
        XCTAssertEqual(sample(page, #"pictor_queue_depth{status="queued"}"#), 0)
        XCTAssertTrue(page.contains("# TYPE pictor_http_request_duration_seconds histogram\n"))
        XCTAssertEqual(page.components(separatedBy: "# TYPE pictor_http_requests_total ").count, 2, "each family described once")
    }

    func testMetricsCountGenerationsCreditsAndQueueFromTheDatabase() throws {
        stack = try PictorStack(jobWorkers: 1)
        let user = try APIUser.create(on: stack)
        let created = try user.post(#"{"prompt":"a lighthouse at dusk","count":2}"#)
        XCTAssertEqual(created.status, 202, created.text)
        let batch = try XCTUnwrap(try user.object(created)["data"] as? [[String: Any]])
        for item in batch { _ = try user.finished(try XCTUnwrap(item["id"] as? String)) }
        let page = try metrics()
        XCTAssertEqual(sample(page, #"pictor_generations_requested_total{model="flux-schnell"}"#), 2, page)
        XCTAssertEqual(sample(page, #"pictor_generations_total{model="flux-schnell",outcome="succeeded"}"#), 2)
        XCTAssertEqual(sample(page, #"pictor_generation_seconds_count{model="flux-schnell"}"#), 2)
        XCTAssertEqual(sample(page, #"pictor_generation_seconds_bucket{model="flux-schnell",le="+Inf"}"#), 2)
        XCTAssertEqual(sample(page, #"pictor_credits_total{kind="usage"}"#), 2, "credits spent")
        XCTAssertEqual(sample(page, #"pictor_credits_total{kind="bonus"}"#), 50)
        XCTAssertEqual(sample(page, #"pictor_queue_depth{status="queued"}"#), 0)
        XCTAssertEqual(sample(page, "pictor_queue_oldest_seconds"), 0)
        XCTAssertTrue(page.contains("# TYPE pictor_generation_seconds histogram\n"))
    }

    func testStatusShowsThePoolAsTextAndJSON() throws {
        stack = try PictorStack(settings: ["server.max_requests": "10"], workers: 2)
        for _ in 0..<30 { XCTAssertEqual(try client.get(stack.baseURL + "/terms").status, 200) }
        try stack.waitFor("a recycle counted") { stack.pictorLog().contains("is recycling") }

        let text = try client.get(stack.baseURL + "/status")
        XCTAssertEqual(text.status, 200)
        XCTAssertEqual(text.header("content-type"), "text/plain; charset=utf-8")
        XCTAssertTrue(text.text.contains("\nthreads:               "), text.text)
        XCTAssertTrue(text.text.range(of: #"\nworkers:               [0-9] serving, [0-9] draining, [0-9] starting\n"#,
                                      options: .regularExpression) != nil, text.text)
        XCTAssertTrue(text.text.contains("\nqueued images:         0\n"), text.text)

        var report: [String: Any] = [:]
        try stack.waitFor("two workers serving, the replacements up") {
            guard let json = try? client.get(stack.baseURL + "/status?json"), json.status == 200,
                  json.header("content-type") == "application/json",
                  let object = try? JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any] else { return false }
            report = object
            return (object["workers"] as? [[String: Any]])?.filter { $0["state"] as? String == "serving" }.count == 2
        }
        XCTAssertGreaterThanOrEqual(report["recycles"] as? Int ?? 0, 1)
        XCTAssertGreaterThanOrEqual(report["requests"] as? Int ?? 0, 31)
        XCTAssertEqual((report["backlog"] as? [String: Any])?["queued"] as? Int, 0)
    }

    func testOnlyAllowedAddressesReachMetricsAndStatus() throws {
        stack = try PictorStack()
        let port = try XCTUnwrap(URL(string: stack.baseURL)?.port)
        // The same nginx, asked from 127.0.0.2, an address the shipped site does not allow.
        for path in ["/metrics", "/status", "/status?json"] {
            let answer = try rawGet(path, port: port, from: "127.0.0.2")
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 404 "), "\(path): \(answer.prefix(200))")
            XCTAssertFalse(answer.contains("pictor_"), "no figure leaks")
        }
        XCTAssertTrue(try rawGet("/status", port: port, from: "127.0.0.1").hasPrefix("HTTP/1.1 200 "))
    }

    func testSlowRequestsAreLoggedWithTheirRouteAndCounted() throws {
        stack = try PictorStack(settings: ["server.slow_request": "0.000001"])
        XCTAssertEqual(try client.get(stack.baseURL + "/terms").status, 200)
        try stack.waitFor("the slow request in the log") {
            stack.pictorLog().range(of: #"slow request: method=GET path=/terms status=200 ms=[0-9.]+ route="GET /terms""#,
                                    options: .regularExpression) != nil
        }
        let page = try metrics()
        XCTAssertGreaterThanOrEqual(sample(page, "pictor_pool_slow_requests_total") ?? 0, 1)
    }

    func testTheRequestLogNamesTheUserOfAnAPIKey() throws {
        stack = try PictorStack()
        let user = try APIUser.create(on: stack)
        let response = try user.get("/api/v1/me")
        XCTAssertEqual(response.status, 200)
        let id = try XCTUnwrap(try user.object(response)["id"] as? Int)
        let requestID = try XCTUnwrap(response.header("x-request-id"))
        let line = #"method=GET path=/api/v1/me status=200 ms=[0-9.]+ route="GET /api/v1/me" user=\#(id) request_id=\#(requestID)"#
        try stack.waitFor("the request's log line") { stack.pictorLog().range(of: line, options: .regularExpression) != nil }
    }

    /// A GET over a socket bound to `source`, as a client at that address; the raw answer.
    private func rawGet(_ path: String, port: Int, from source: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func address(_ host: String, _ port: Int) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            return address
        }
        var local = address(source, 0), remote = address("127.0.0.1", port)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }) == 0,
              withUnsafePointer(to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }) == 0
        else { throw XCTSkip("cannot connect from \(source): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
