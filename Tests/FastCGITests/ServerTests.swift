// The threaded server over a real unix socket, driven by a FastCGI client as nginx would.

@testable import FastCGI
import Foundation
import Logging
import Synchronization
import TestSupport
import XCTest

/// Counts how often the server said it was recycling.
private final class RecycleCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .sequentiallyConsistent) }
    var value: Int { count.load(ordering: .sequentiallyConsistent) }
}

/// Counts the `/slow` requests a server has begun, so a test can wait until one is in flight.
private final class SlowRequests: Sendable {
    private let begun = Atomic<Int>(0)
    func begin() { begun.add(1, ordering: .sequentiallyConsistent) }
    var count: Int { begun.load(ordering: .sequentiallyConsistent) }
}

/// Echoes what it received; `/slow` takes a while, to test graceful stops.
private struct EchoResponder: Responder {
    let slowRequests: SlowRequests

    func respond(to request: Request) -> Response {
        if request.path == "/slow" {
            slowRequests.begin()
            usleep(400_000)
        }
        if request.path == "/large" {
            // Larger than one FastCGI record (65,535 bytes): written directly, in several records.
            let size = Int(request.queryString) ?? 0
            return Response(status: 200, headers: [("Content-Type", "text/plain")],
                            body: (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) })
        }
        let text = "\(request.method) \(request.path) q=\(request.queryString) ua=\(request.header("user-agent") ?? "-") body=\(String(decoding: request.body, as: UTF8.self))"
        var response = Response(status: request.path == "/missing" ? 404 : 200, contentType: "text/plain", body: text)
        response.addHeader("Set-Cookie", "a=1")
        response.addHeader("Set-Cookie", "b=2")
        return response
    }
}

/// A reply handed from a sender thread to the test; `@unchecked`: written before the sender
/// leaves its DispatchGroup and read only after the test's wait on it.
private final class ReplyBox: @unchecked Sendable {
    var reply: FastCGIClient.Reply?
}

final class ServerTests: XCTestCase {
    private var directory = ""
    private var socketPath = ""
    private let slowRequests = SlowRequests()
    private let recycles = RecycleCount()

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "fcgi-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        socketPath = directory + "/s.sock"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts a server on a background thread; returns it and a semaphore signalled when run() returns.
    private func startServer(maxRequests: Int = 0, maxBody: Int = 1024, drainSeconds: Double = 10) throws -> (FastCGIServer, DispatchSemaphore) {
        let fd = try Listener.open(socketPath)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let server = FastCGIServer(listenFD: fd, configuration: ServerConfiguration(
            threads: 4, maxRequests: maxRequests, maxBodyBytes: maxBody, accessLog: false, drainSeconds: drainSeconds),
            logger: logger, makeResponder: { [slowRequests] in EchoResponder(slowRequests: slowRequests) },
            onRecycle: { [recycles] in recycles.add() })
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.run()
            close(fd)
            finished.signal()
        }
        // A test that fails half-way must not leave its server serving into the next one.
        addTeardownBlock { server.stop(reason: "test ended") }
        return (server, finished)
    }

    private func params(_ method: String, _ uri: String, _ extra: [String: String] = [:]) -> [String: String] {
        var params = ["REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": "", "CONTENT_TYPE": ""]
        if let question = uri.firstIndex(of: "?") { params["QUERY_STRING"] = String(uri[uri.index(after: question)...]) }
        params.merge(extra) { $1 }
        return params
    }

    func testServesRequestsWithParamsHeadersAndBody() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        let get = try client.send(params: params("GET", "/hello?x=1", ["HTTP_USER_AGENT": "tester"]))
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.body, "GET /hello q=x=1 ua=tester body=")
        XCTAssertEqual(get.headers["content-length"], String(get.body.utf8.count))

        let body = Array("name=pictor".utf8)
        let post = try client.send(params: params("POST", "/form", ["CONTENT_LENGTH": "\(body.count)"]), body: body, chunk: 3)
        XCTAssertEqual(post.body, "POST /form q= ua=- body=name=pictor")

        let missing = try client.send(params: params("GET", "/missing"))
        XCTAssertEqual(missing.status, 404)
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testLargeResponsesArriveWholeAcrossSeveralRecords() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        for size in [16 << 10, 65_528, 65_529, 200_000] {
            let reply = try client.send(params: params("GET", "/large?\(size)"))
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(reply.headers["content-length"], String(size))
            XCTAssertEqual(reply.body, String(decoding: (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) }, as: UTF8.self),
                           "\(size) bytes")
        }
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testAClientGoneDuringALargeResponseLeavesTheServerServing() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        // Four megabytes do not fit the socket buffer: the write fails part-way every time.
        for _ in 0..<6 { try client.abandon(params: params("GET", "/large?4000000")) }
        let reply = try client.send(params: params("GET", "/large?100000"))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body.utf8.count, 100_000)
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testStdoutRecordsSplitContentAtTheRecordLimitWithoutCopying() throws {
        let head = Array(repeating: UInt8(ascii: "h"), count: 100)
        let body = Array(repeating: UInt8(ascii: "b"), count: 140_000)
        let headers = StdoutRecords.headers(contentLength: head.count + body.count, requestID: 258)
        XCTAssertEqual(headers.count, 3 * 8, "140,100 bytes need three records of at most 65,528")
        XCTAssertEqual(Array(headers[0..<8]), [1, 6, 1, 2, 0xff, 0xf8, 0, 0], "version, stdout, id 258, length 65,528")
        XCTAssertEqual(Array(headers[16..<24]), [1, 6, 1, 2, 0x23, 0x54, 0, 0], "the rest: 9,044 bytes")
        headers.withUnsafeBytes { headers in
            head.withUnsafeBytes { head in
                body.withUnsafeBytes { body in
                    let vectors = StdoutRecords.iovecs(headers: headers, parts: [head, body])
                    XCTAssertEqual(vectors.map(\.iov_len), [8, 100, 65_428, 8, 65_528, 8, 9_044], "header, then content")
                    XCTAssertEqual(vectors[2].iov_base, UnsafeMutableRawPointer(mutating: body.baseAddress!), "points into the body")
                }
            }
        }
    }

    func testOversizeBodyGets413AndServerCarriesOn() throws {
        let (server, finished) = try startServer(maxBody: 1024)
        let client = FastCGIClient(socketPath: socketPath)
        let big = [UInt8](repeating: 65, count: 5000)
        let reply = try client.send(params: params("POST", "/upload", ["CONTENT_LENGTH": "5000"]), body: big)
        XCTAssertEqual(reply.status, 413)
        XCTAssertEqual(try client.send(params: params("GET", "/after")).status, 200)
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testMalformedContentLengthGets400() throws {
        let (server, finished) = try startServer()
        let reply = try FastCGIClient(socketPath: socketPath).send(params: params("POST", "/x", ["CONTENT_LENGTH": "ten"]))
        XCTAssertEqual(reply.status, 400)
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testGarbageOnTheSocketDoesNotHurtTheServer() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        _ = try client.sendRaw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        _ = try client.sendRaw([1, 1, 0, 1, 0, 8, 0])       // truncated record
        _ = try client.sendRaw([9, 9, 9, 9, 9, 9, 9, 9, 9])  // wrong protocol version
        XCTAssertEqual(try client.send(params: params("GET", "/still-alive")).status, 200)
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testKeptConnectionsCarryOneRequestAfterAnother() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        let kept = try client.keptConnection()
        for index in 0..<5 {
            let reply = try kept.send(params: params("GET", "/kept?\(index)"))
            XCTAssertEqual(reply.body, "GET /kept q=\(index) ua=- body=")
        }
        XCTAssertFalse(kept.isClosedByServer(within: 0.1))
        server.stop(reason: "test")
        kept.hangUp()
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testAStoppingWorkerAnswersOnItsKeptConnectionsUntilNginxClosesThem() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        let kept = try (0..<3).map { _ in try client.keptConnection() }
        for connection in kept { XCTAssertEqual(try connection.send(params: params("GET", "/before")).status, 200) }
        server.stop(reason: "test")
        // nginx may be writing the next request to any of them as the worker stops: each is
        // still answered, and stays open, for nginx to close.
        for (index, connection) in kept.enumerated() {
            XCTAssertEqual(try connection.send(params: params("GET", "/draining?\(index)")).body, "GET /draining q=\(index) ua=- body=")
            XCTAssertFalse(connection.isClosedByServer(within: 0.05))
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 0.3), .timedOut, "the worker waits for nginx to close them")
        for connection in kept { connection.hangUp() }
        XCTAssertEqual(finished.wait(timeout: .now() + 2), .success, "and leaves once nginx has")
    }

    func testADrainingWorkerLeavesAtItsDeadlineClosingWhatNginxStillHolds() throws {
        let (server, finished) = try startServer(drainSeconds: 0.5)
        let kept = try FastCGIClient(socketPath: socketPath).keptConnection()
        XCTAssertEqual(try kept.send(params: params("GET", "/warm")).status, 200)
        let stopped = Date()
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(stopped), 0.5, "it waited for nginx until the deadline")
        XCTAssertTrue(kept.isClosedByServer(within: 1))
    }

    func testStoppingAnswersTheRequestInFlightOnAKeptConnection() throws {
        let (server, finished) = try startServer()
        let kept = try FastCGIClient(socketPath: socketPath).keptConnection()
        XCTAssertEqual(try kept.send(params: params("GET", "/warm")).status, 200)
        let group = DispatchGroup()
        let box = ReplyBox()
        let slow = params("GET", "/slow")
        DispatchQueue.global().async(group: group) { box.reply = try? kept.send(params: slow) }
        try waitUntil("the slow request to be in the responder", timeout: 5) { slowRequests.count == 1 }
        server.stop(reason: "test")
        XCTAssertEqual(group.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(box.reply?.status, 200)
        XCTAssertEqual(try kept.send(params: params("GET", "/after-stop")).status, 200, "the connection is nginx's to close")
        kept.hangUp()
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testKeptConnectionsBusyWithRequestsDoNotKeepAStoppingWorkerUpPastItsDeadline() throws {
        let (server, finished) = try startServer(drainSeconds: 1)
        let client = FastCGIClient(socketPath: socketPath)
        let kept = try (0..<12).map { _ in try client.keptConnection() }
        let busy = params("GET", "/busy")
        let senders = DispatchGroup()
        let answered = Atomic<Int>(0)
        let answeredConnections = Mutex<Set<Int>>([])
        for (index, connection) in kept.enumerated() {
            // A thread each: the global dispatch queue would run about as many blocking loops
            // at once as there are cores, leaving most connections idle.
            senders.enter()
            Thread.detachNewThread {
                defer { senders.leave() }
                // As nginx under load: the next request follows each answer at once.
                while (try? connection.send(params: busy))?.status == 200 {
                    answered.add(1, ordering: .relaxed)
                    answeredConnections.withLock { _ = $0.insert(index) }
                }
            }
        }
        try waitUntil("every kept connection to be busy", timeout: 5) { answeredConnections.withLock { $0.count } == kept.count }
        server.stop(reason: "test")
        // nginx would close them within its keepalive_time; this client never does.
        XCTAssertEqual(finished.wait(timeout: .now() + 4), .success, "the worker stopped though requests kept coming")
        XCTAssertEqual(senders.wait(timeout: .now() + 5), .success, "and closed the connections")
        XCTAssertGreaterThan(answered.load(ordering: .relaxed), 0)
    }

    func testIdleKeptConnectionsBeyondTheThreadCountDoNotHoldUpOthers() throws {
        let (server, finished) = try startServer()  // 4 threads
        let client = FastCGIClient(socketPath: socketPath)
        let kept = try (0..<10).map { _ in try client.keptConnection() }
        for (index, connection) in kept.enumerated() {
            XCTAssertEqual(try connection.send(params: params("GET", "/first?\(index)")).status, 200)
        }
        // Ten idle kept connections and four threads: a new connection is still answered at once
        // (it would wait forever if each thread sat on a kept one), and so is each kept one.
        let started = Date()
        XCTAssertEqual(try client.send(params: params("GET", "/fresh")).body, "GET /fresh q= ua=- body=")
        for (index, connection) in kept.enumerated().reversed() {
            XCTAssertEqual(try connection.send(params: params("GET", "/again?\(index)")).body, "GET /again q=\(index) ua=- body=")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        for connection in kept { connection.hangUp() }
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testAKeptConnectionClosedByNginxIsForgotten() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        for _ in 0..<6 {
            let kept = try client.keptConnection()
            XCTAssertEqual(try kept.send(params: params("GET", "/once")).status, 200)
        }  // each closed here by the client, after the server parked it
        XCTAssertEqual(try client.send(params: params("GET", "/after")).body, "GET /after q= ua=- body=")
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testGracefulStopFinishesRequestsInFlight() throws {
        let (server, finished) = try startServer()
        let client = FastCGIClient(socketPath: socketPath)
        let slowParams = params("GET", "/slow")
        let group = DispatchGroup()
        let box = ReplyBox()
        DispatchQueue.global().async(group: group) { box.reply = try? client.send(params: slowParams) }
        try waitUntil("the slow request to be in the responder", timeout: 5) { slowRequests.count == 1 }
        server.stop(reason: "test")
        XCTAssertEqual(group.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(box.reply?.status, 200)
        XCTAssertEqual(box.reply?.body, "GET /slow q= ua=- body=")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testStopsByItselfAfterMaxRequestsAndSaysSoOnce() throws {
        let (_, finished) = try startServer(maxRequests: 3)
        let client = FastCGIClient(socketPath: socketPath)
        let kept = try client.keptConnection()
        for _ in 0..<3 { XCTAssertEqual(try kept.send(params: params("GET", "/")).status, 200) }
        XCTAssertEqual(try kept.send(params: params("GET", "/while-draining")).status, 200)
        kept.hangUp()
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(recycles.value, 1, "the master is told once, as the worker begins to recycle")
    }

    func testListenerRefusesASocketInUse() throws {
        let (server, finished) = try startServer()
        XCTAssertThrowsError(try Listener.open(socketPath))
        server.stop(reason: "test")
        XCTAssertEqual(finished.wait(timeout: .now() + 5), .success)
    }

    func testDescribesWorkerExits() {
        XCTAssertEqual(Supervisor.describeExit(0), "exit 0")
        XCTAssertEqual(Supervisor.describeExit(3 << 8), "exit 3")
        XCTAssertEqual(Supervisor.describeExit(9), "SIGKILL")
    }
}
