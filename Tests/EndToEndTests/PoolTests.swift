// The process manager under faults: killed workers, reloads under load, PostgreSQL restarts.

import Foundation
import HTTPClient
import TestSupport
import XCTest

/// Sends requests from several threads until told to stop, counting what came back;
/// `@unchecked`: its counters and flag are only touched under `lock`.
final class LoadGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int: Int] = [:]
    private var errors: [String] = []
    private var running = true
    private let group = DispatchGroup()

    convenience init(url: String, threads: Int) {
        self.init(threads: threads) { try $0.get(url) }
    }

    /// Each of `threads` threads sends `request` with its own client, over and over.
    init(threads: Int, request: @escaping @Sendable (HTTPClient) throws -> HTTPResponse) {
        for _ in 0..<threads {
            // A thread each: the global dispatch queue runs about as many blocking loops at once
            // as there are cores.
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                let client = HTTPClient(connectTimeout: 2, timeout: 15)
                while isRunning {
                    do {
                        let status = try request(client).status
                        lock.withLock { statuses[status, default: 0] += 1 }
                    } catch {
                        lock.withLock { errors.append("\(error)") }
                    }
                }
            }
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    /// Requests answered so far, whatever their status.
    var answered: Int { lock.withLock { statuses.values.reduce(0, +) } }

    /// Stops and returns (status counts, transport errors).
    func finish() -> ([Int: Int], [String]) {
        lock.withLock { running = false }
        group.wait()
        return lock.withLock { (statuses, errors) }
    }
}

/// The pool scenarios, run by PoolTests (nginx keeps FastCGI connections open, the default)
/// and ConnectionPerRequestPoolTests (nginx opens a FastCGI connection per request).
class PoolTestCase: XCTestCase {
    var keepConn: Bool { true }
    var stack: PictorStack!
    let client = HTTPClient(connectTimeout: 2, timeout: 10)

    override func setUpWithError() throws {
        stack = try PictorStack(keepConn: keepConn)
    }

    override func tearDown() {
        stack.stop()
        stack = nil
    }

    func killedWorkerIsReplacedAndRequestsKeepSucceeding() throws {
        try stack.waitFor("two workers") { stack.workerPIDs().count == 2 }
        let before = stack.workerPIDs()
        kill(before[0], SIGKILL)
        for _ in 0..<100 {
            XCTAssertEqual(try client.get(stack.baseURL + "/").status, 200)
        }
        try stack.waitFor("a replacement worker") {
            let now = stack.workerPIDs()
            return now.count == 2 && !now.contains(before[0])
        }
        XCTAssertTrue(stack.pictorLog().contains("worker \(before[0]) died (SIGKILL)"))
        XCTAssertEqual(try client.get(stack.baseURL + "/healthz").status, 200)
    }

    func reloadUnderLoadLosesNoRequest() throws {
        try stack.waitFor("two workers") { stack.workerPIDs().count == 2 }
        let original = Set(stack.workerPIDs())
        let load = LoadGenerator(url: stack.baseURL + "/", threads: 4)
        try stack.waitFor("the load to be answered") { load.answered >= 20 }
        var generation = original, seen = original
        for _ in 0..<3 {
            let before = load.answered
            stack.signalMaster(SIGHUP)
            // The next reload comes once this one's workers are up and requests have gone on
            // being answered meanwhile; the workers before them may still be draining.
            try stack.waitFor("a new generation of workers, under load") {
                generation = Set(stack.workerPIDs()).subtracting(seen)
                return generation.count == 2 && load.answered >= before + 30
            }
            seen.formUnion(generation)
        }
        try stack.waitFor("every older worker to drain, under load") { Set(stack.workerPIDs()) == generation }
        let drained = load.answered
        try stack.waitFor("the last generation alone to answer requests") { load.answered >= drained + 30 }
        let (statuses, errors) = load.finish()
        XCTAssertEqual(errors, [])
        XCTAssertEqual(statuses.keys.sorted(), [200], "every request answered 200: \(statuses)")
        XCTAssertGreaterThan(statuses[200] ?? 0, 100)
        try stack.waitFor("old workers drained") {
            let now = stack.workerPIDs()
            return now.count == 2 && original.isDisjoint(with: now)
        }
    }

    func gracefulStopOnSIGTERM() throws {
        let master = stack.masterPID
        stack.signalMaster(SIGTERM)
        try stack.waitFor("the master to exit") { stack.serveExitStatus != nil }
        XCTAssertEqual(stack.serveExitStatus, 0)
        XCTAssertTrue(stack.pictorLog().contains("master \(master) stopped"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stack.socketPath), "the socket file is removed")

        // With the pool gone nginx answers 502 itself: the API's envelope, a page for pages, never cached.
        let api = try client.get(stack.baseURL + "/api/v1/me")
        XCTAssertEqual(api.status, 502)
        XCTAssertEqual(api.header("content-type"), "application/json")
        XCTAssertEqual(api.header("cache-control"), "no-store")
        XCTAssertTrue(api.text.contains(#""code":"service_unavailable""#), api.text)
        let page = try client.get(stack.baseURL + "/gallery")
        XCTAssertEqual(page.status, 502)
        XCTAssertTrue(page.text.contains("Back in a moment"))
    }
}

final class PoolTests: PoolTestCase {
    func testKilledWorkerIsReplacedAndRequestsKeepSucceeding() throws { try killedWorkerIsReplacedAndRequestsKeepSucceeding() }
    func testReloadUnderLoadLosesNoRequest() throws { try reloadUnderLoadLosesNoRequest() }
    func testGracefulStopOnSIGTERM() throws { try gracefulStopOnSIGTERM() }

    func testHealthzRecoversAfterPostgresRestartsWithoutRestartingPictor() throws {
        let master = stack.masterPID
        XCTAssertEqual(try client.get(stack.baseURL + "/healthz").status, 200)
        try PostgresServer.shared.stop()
        let down = try client.get(stack.baseURL + "/healthz")
        XCTAssertEqual(down.status, 503)
        XCTAssertEqual(down.text, #"{"database":"unreachable","status":"unavailable"}"#)
        XCTAssertEqual(try client.get(stack.baseURL + "/").status, 200, "pages without the database still work")
        try PostgresServer.shared.start()
        try stack.waitFor("healthz to recover") {
            (try? client.get(stack.baseURL + "/healthz").status) == 200
        }
        // Every thread's connection reconnects: a burst of requests all succeed.
        for _ in 0..<40 {
            XCTAssertEqual(try client.get(stack.baseURL + "/healthz").status, 200)
        }
        XCTAssertEqual(stack.masterPID, master)
        XCTAssertNil(stack.serveExitStatus)
    }

    func testWorkersAreRecycledAfterMaxRequests() throws {
        stack.stop()
        stack = try PictorStack(settings: ["server.max_requests": "20"], workers: 1)
        try stack.waitFor("one worker") { stack.workerPIDs().count == 1 }
        let first = stack.workerPIDs()
        for _ in 0..<60 {
            XCTAssertEqual(try client.get(stack.baseURL + "/").status, 200)
        }
        try stack.waitFor("a recycled worker") { stack.workerPIDs().count == 1 && stack.workerPIDs() != first }
        XCTAssertTrue(stack.pictorLog().contains("is recycling, starting its replacement"))
    }

    /// nginx never retries a POST: a worker that closed a kept connection nginx was writing to
    /// would show as a 502 here and as an upstream error in nginx's log (with the worker closing
    /// its kept connections as it stops, this saw about 100 502s in 1,600 POSTs).
    func testPostsAreNeverLostWhileWorkersRecycleAndThePoolReloads() throws {
        stack.stop()
        stack = try PictorStack(settings: ["server.max_requests": "150"], workers: 2)
        let url = stack.baseURL + "/api/v1/generations"
        // Without a key the app answers 401 itself, after reading the body.
        let load = LoadGenerator(threads: 16) { try $0.post(url, json: #"{"prompt":"a lighthouse"}"#) }
        try stack.waitFor("the first recycles, under load", seconds: 60) {
            stack.pictorLog().components(separatedBy: "is recycling").count > 4
        }
        for _ in 0..<3 {
            let before = load.answered
            stack.signalMaster(SIGHUP)
            try stack.waitFor("requests answered after a reload", seconds: 60) { load.answered >= before + 300 }
        }
        let (statuses, errors) = load.finish()
        XCTAssertEqual(errors, [])
        XCTAssertEqual(statuses.keys.sorted(), [401], "every POST answered by the app: \(statuses)")
        let upstreamErrors = stack.nginxErrorLog().split(separator: "\n").filter { $0.contains("upstream") }
        XCTAssertEqual(upstreamErrors, [], "nginx met no closed connection")
        XCTAssertFalse(stack.pictorLog().contains("kept connections nginx still held"), "nginx closed every kept connection itself")
    }
}

/// The same pool behaviours with nginx opening a FastCGI connection per request, as a site
/// config without `fastcgi_keep_conn` does.
final class ConnectionPerRequestPoolTests: PoolTestCase {
    override var keepConn: Bool { false }

    func testKilledWorkerIsReplacedAndRequestsKeepSucceeding() throws { try killedWorkerIsReplacedAndRequestsKeepSucceeding() }
    func testReloadUnderLoadLosesNoRequest() throws { try reloadUnderLoadLosesNoRequest() }
    func testGracefulStopOnSIGTERM() throws { try gracefulStopOnSIGTERM() }

    func testManyRequestsSucceedOverFreshFastCGIConnections() throws {
        let load = LoadGenerator(url: stack.baseURL + "/healthz", threads: 8)
        try stack.waitFor("many requests answered") { load.answered >= 500 }
        let (statuses, errors) = load.finish()
        XCTAssertEqual(errors, [])
        XCTAssertEqual(statuses.keys.sorted(), [200], "\(statuses)")
    }
}
