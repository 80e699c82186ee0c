// HTTPClient against a local scripted server: methods, bodies, headers, keep-alive, timeouts, failures.
import XCTest
import HTTPClient
import TestSupport

final class HTTPClientTests: XCTestCase {
    private var servers: [TestHTTPServer] = []

    override func tearDown() {
        servers.forEach { $0.stop() }
        servers = []
    }

    private func server(accepting: Bool = true,
                        _ handler: @escaping @Sendable (ReceivedRequest) -> ScriptedResponse = { _ in ScriptedResponse() }) -> TestHTTPServer {
        let server = TestHTTPServer(accepting: accepting, handler: handler)
        servers.append(server)
        return server
    }

    /// Echoes the request back: method and target in headers, body as body.
    private func echoServer() -> TestHTTPServer {
        server { request in
            ScriptedResponse(headers: [("X-Method", request.method), ("X-Target", request.target)], body: request.body)
        }
    }

    func testABodyOverTheCapAbortsTheTransferAndOneAtTheCapArrives() throws {
        let server = server { _ in ScriptedResponse(body: [UInt8](repeating: 0x61, count: 200_000)) }
        XCTAssertThrowsError(try HTTPClient(maxResponseBytes: 100_000).get(server.url("/big"))) { error in
            let failure = error as? HTTPClientError
            XCTAssertEqual(failure?.isTooLarge, true, "\(error)")
            XCTAssertEqual(failure?.message, "the response is larger than 100000 bytes")
        }
        XCTAssertEqual(try HTTPClient(maxResponseBytes: 200_000).get(server.url("/big")).body.count, 200_000)
    }

    func testGetReturnsStatusHeadersAndBody() throws {
        let server = server { request in
            ScriptedResponse(status: 201, reason: "Created",
                             headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Path", request.target)],
                             body: Array("héllo".utf8))
        }
        let response = try HTTPClient().get(server.url("/a/b?q=1"))
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.text, "héllo")
        XCTAssertEqual(response.body, Array("héllo".utf8))
        XCTAssertEqual(response.header("content-type"), "text/plain; charset=utf-8")
        XCTAssertEqual(response.header("X-PATH"), "/a/b?q=1")
        XCTAssertEqual(response.headers.map(\.name), ["content-type", "x-path", "content-length"])
        XCTAssertEqual(server.requests.first?.method, "GET")
        XCTAssertEqual(response.newConnections, 1)
    }

    func testEveryRepeatedSetCookieHeaderIsReturnedInOrder() throws {
        let server = server { _ in
            ScriptedResponse(headers: [("Set-Cookie", "session=abc; HttpOnly; SameSite=Lax"),
                                       ("X-Other", "1"),
                                       ("Set-Cookie", "csrf=def; Path=/"),
                                       ("set-cookie", "flash=; Max-Age=0")])
        }
        let response = try HTTPClient().get(server.url("/"))
        XCTAssertEqual(response.headers(named: "Set-Cookie"),
                       ["session=abc; HttpOnly; SameSite=Lax", "csrf=def; Path=/", "flash=; Max-Age=0"])
        XCTAssertEqual(response.header("set-cookie"), "session=abc; HttpOnly; SameSite=Lax")
        XCTAssertEqual(response.headers(named: "x-missing"), [])
        XCTAssertNil(response.header("x-missing"))
    }

    func testRequestHeadersAreSentAsGiven() throws {
        let server = echoServer()
        _ = try HTTPClient().get(server.url("/"), headers: [("Cookie", "session=abc; csrf=def"),
                                                            ("Accept", "text/html"), ("X-Empty", "")])
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.header("Cookie"), "session=abc; csrf=def")
        XCTAssertEqual(request.header("Accept"), "text/html")
        XCTAssertEqual(request.header("X-Empty"), "")
    }

    func testPostFormBodyArrivesPercentEncoded() throws {
        let server = echoServer()
        let response = try HTTPClient().post(server.url("/login"), form: [
            ("email", "a+b@example.com"),
            ("note", "hello world & more=yes/ü~*"),
            ("empty", ""),
            ("csrf", "x-y_z.0"),
        ])
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.header("Content-Type"), "application/x-www-form-urlencoded")
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self),
                       "email=a%2Bb%40example.com&note=hello+world+%26+more%3Dyes%2F%C3%BC%7E*&empty=&csrf=x-y_z.0")
        XCTAssertEqual(request.header("Content-Length"), String(request.body.count))
        XCTAssertEqual(response.header("x-method"), "POST")
    }

    func testPostJSONSendsBodyVerbatimWithJSONContentType() throws {
        let server = echoServer()
        let json = #"{"prompt":"a red fox","count":2,"tags":["ü","\n"]}"#
        let response = try HTTPClient().post(server.url("/api/v1/generations"), json: Array(json.utf8),
                                             headers: [("Authorization", "Bearer pk_test")])
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.header("Content-Type"), "application/json")
        XCTAssertEqual(request.header("Authorization"), "Bearer pk_test")
        XCTAssertEqual(request.body, Array(json.utf8))
        XCTAssertEqual(response.text, json)
    }

    func testCallerContentTypeReplacesTheDefault() throws {
        let server = echoServer()
        _ = try HTTPClient().post(server.url("/"), json: "{}", headers: [("content-type", "application/merge-patch+json")])
        XCTAssertEqual(server.requests.first?.headers.filter { $0.0.lowercased() == "content-type" }.map(\.1),
                       ["application/merge-patch+json"])
    }

    func testPatchPutAndDeleteSendTheirMethodAndBody() throws {
        let server = echoServer()
        let client = HTTPClient()
        let patch = try client.send(HTTPRequest(method: "PATCH", url: server.url("/items/1"),
                                                headers: [("Content-Type", "application/json")],
                                                body: Array(#"{"title":"x"}"#.utf8)))
        XCTAssertEqual(patch.header("x-method"), "PATCH")
        XCTAssertEqual(patch.text, #"{"title":"x"}"#)

        let put = try client.send(HTTPRequest(method: "PUT", url: server.url("/bucket/key.png"), body: [0, 1, 2, 255]))
        XCTAssertEqual(put.header("x-method"), "PUT")
        XCTAssertEqual(put.body, [0, 1, 2, 255])

        let delete = try client.send(HTTPRequest(method: "DELETE", url: server.url("/items/1")))
        XCTAssertEqual(delete.status, 200)
        XCTAssertEqual(delete.header("x-method"), "DELETE")

        let requests = server.requests
        XCTAssertEqual(requests.map(\.method), ["PATCH", "PUT", "DELETE"])
        XCTAssertNil(requests[1].header("Content-Type"), "a raw body must not be labelled as a form")
        XCTAssertNil(requests[2].header("Content-Length"))
        XCTAssertEqual(requests[2].body, [])
    }

    func testEmptyBodiesAreSentWithContentLengthZero() throws {
        let server = echoServer()
        let client = HTTPClient(timeout: 5)
        XCTAssertEqual(try client.send(HTTPRequest(method: "POST", url: server.url("/logout"))).status, 200)
        XCTAssertEqual(try client.send(HTTPRequest(method: "PUT", url: server.url("/x"))).status, 200)
        XCTAssertEqual(try client.post(server.url("/f"), form: []).status, 200)
        XCTAssertEqual(server.requests.map(\.method), ["POST", "PUT", "POST"])
        XCTAssertEqual(server.requests.map { $0.header("Content-Length") }, ["0", "0", "0"])
    }

    func testHeadReturnsHeadersWithoutBodyAndKeepsTheConnectionUsable() throws {
        let server = server { _ in ScriptedResponse(headers: [("X-Kind", "page")], body: Array("hello world".utf8)) }
        let client = HTTPClient(timeout: 5)
        let head = try client.send(HTTPRequest(method: "HEAD", url: server.url("/page")))
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, [])
        XCTAssertEqual(head.header("content-length"), "11")
        XCTAssertEqual(head.header("x-kind"), "page")
        let get = try client.get(server.url("/page"))
        XCTAssertEqual(get.text, "hello world")
        XCTAssertEqual(get.newConnections, 0)
        XCTAssertEqual(server.requests.map(\.method), ["HEAD", "GET"])
        XCTAssertEqual(server.connections, 1)
    }

    func testSequentialRequestsReuseOneKeptAliveConnection() throws {
        let server = echoServer()
        let client = HTTPClient()
        var newConnections: [Int] = []
        for i in 0..<20 {
            let response = i % 2 == 0
                ? try client.get(server.url("/n/\(i)"))
                : try client.post(server.url("/n/\(i)"), form: [("i", String(i))])
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("x-target"), "/n/\(i)")
            newConnections.append(response.newConnections)
        }
        XCTAssertEqual(newConnections, [1] + Array(repeating: 0, count: 19))
        XCTAssertEqual(server.connections, 1)
        XCTAssertEqual(server.requests.count, 20)
    }

    func testOptionsFromOneRequestDoNotLeakIntoTheNext() throws {
        let server = echoServer()
        let client = HTTPClient()
        _ = try client.send(HTTPRequest(method: "PATCH", url: server.url("/a"),
                                        headers: [("X-Only-Once", "1"), ("Content-Type", "text/plain")], body: [1, 2, 3]))
        let get = try client.get(server.url("/b"))
        XCTAssertEqual(get.header("x-method"), "GET")
        let second = try XCTUnwrap(server.requests.last)
        XCTAssertEqual(second.method, "GET")
        XCTAssertNil(second.header("X-Only-Once"))
        XCTAssertNil(second.header("Content-Type"))
        XCTAssertNil(second.header("Content-Length"))
        XCTAssertEqual(second.body, [])
    }

    func testLargeBodyIsSentWithoutExpectContinue() throws {
        let server = echoServer()
        let body = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let response = try HTTPClient(timeout: 10).send(HTTPRequest(method: "PUT", url: server.url("/big"), body: body))
        XCTAssertEqual(response.body.count, body.count)
        XCTAssertEqual(response.body, body)
        XCTAssertNil(server.requests.first?.header("Expect"))
    }

    func testInterimResponsesAreDroppedAndOnlyFinalHeadersKept() throws {
        let server = server { _ in
            ScriptedResponse(headers: [("X-Final", "yes")], body: Array("done".utf8),
                             interim: "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                                 + "HTTP/1.1 103 Early Hints\r\nLink: </static/app.css>; rel=preload\r\n\r\n")
        }
        let response = try HTTPClient().post(server.url("/"), form: [("a", "b")])
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "done")
        XCTAssertEqual(response.headers.map(\.name), ["x-final", "content-length"])
        XCTAssertNil(response.header("link"))
    }

    func testRedirectsAreReturnedNotFollowed() throws {
        let server = server { request in
            request.target == "/login"
                ? ScriptedResponse(status: 303, reason: "See Other",
                                   headers: [("Location", "/gallery"), ("Set-Cookie", "session=s1; HttpOnly")])
                : ScriptedResponse(body: Array("gallery".utf8))
        }
        let response = try HTTPClient().post(server.url("/login"), form: [("email", "a@b.c")])
        XCTAssertEqual(response.status, 303)
        XCTAssertEqual(response.header("location"), "/gallery")
        XCTAssertEqual(response.header("set-cookie"), "session=s1; HttpOnly")
        XCTAssertEqual(server.requests.map(\.target), ["/login"])
    }

    func testServerThatNeverAnswersTimesOut() throws {
        let server = server(accepting: false)   // the kernel completes the handshake; nobody replies
        let client = HTTPClient(connectTimeout: 2, timeout: 0.5)
        let start = DispatchTime.now()
        XCTAssertThrowsError(try client.get(server.url("/slow"))) { error in
            let error = error as! HTTPClientError
            XCTAssertTrue(error.isTimeout, "\(error)")
            XCTAssertFalse(error.isConnectFailure)
            XCTAssertEqual(error.code, 28)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        XCTAssertLessThan(seconds, 5, "the timeout was not enforced")
    }

    func testClientStillWorksAfterAFailedRequest() throws {
        let silent = server(accepting: false)
        let echo = echoServer()
        let client = HTTPClient(timeout: 0.3)
        XCTAssertThrowsError(try client.get(silent.url("/")))
        XCTAssertEqual(try client.get(echo.url("/ok")).header("x-target"), "/ok")
    }

    func testRefusedConnectionIsAConnectFailure() throws {
        let closed = TestHTTPServer(accepting: false)
        closed.stop()   // the port was just free; nothing listens on it now
        XCTAssertThrowsError(try HTTPClient().get(closed.url("/"))) { error in
            let error = error as! HTTPClientError
            XCTAssertTrue(error.isConnectFailure, "\(error)")
            XCTAssertFalse(error.isTimeout)
            XCTAssertEqual(error.code, 7)
            XCTAssertFalse(error.message.isEmpty)
        }
    }

    func testMalformedURLThrows() {
        XCTAssertThrowsError(try HTTPClient().get("not a url")) { error in
            XCTAssertFalse((error as! HTTPClientError).isConnectFailure)
        }
    }

    func testNonHTTPSchemesAreRefused() {
        XCTAssertThrowsError(try HTTPClient().get("file:///etc/passwd")) { error in
            XCTAssertEqual((error as! HTTPClientError).code, 1)   // CURLE_UNSUPPORTED_PROTOCOL
        }
    }

    func testClientsOnSeveralThreadsWorkIndependently() throws {
        let server = echoServer()
        let threads = 4, perThread = 25
        let failures = Locked(0)
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                let client = HTTPClient()
                for i in 0..<perThread {
                    let body = Array("\(t)-\(i)".utf8)
                    let response = try? client.send(HTTPRequest(method: "POST", url: server.url("/t\(t)"), body: body))
                    if response?.body != body || (i > 0 && response?.newConnections != 0) { failures.withLock { $0 += 1 } }
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(failures.withLock { $0 }, 0)
        XCTAssertEqual(server.requests.count, threads * perThread)
        XCTAssertEqual(server.connections, threads)
    }

    func testHeaderInjectionIsRejected() {
        let server = echoServer()
        XCTAssertThrowsError(try HTTPClient().get(server.url("/"), headers: [("X-A", "1\r\nX-Injected: 2")]))
        XCTAssertThrowsError(try HTTPClient().get(server.url("/"), headers: [("Bad Name", "1")]))
        XCTAssertThrowsError(try HTTPClient().send(HTTPRequest(method: "GET /x HTTP/1.1\r\n", url: server.url("/"))))
        XCTAssertEqual(server.requests.count, 0)
    }

    func testFormEncodingFollowsTheBrowserRules() {
        XCTAssertEqual(HTTPRequest.formEncoded([("a b", "c&d=e"), ("ü", "~'!"), ("k", "")]),
                       "a+b=c%26d%3De&%C3%BC=%7E%27%21&k=")
        XCTAssertEqual(HTTPRequest.formEncoded([]), "")
    }

    func testResponseInitLowercasesHeaderNames() {
        let response = HTTPResponse(status: 204, headers: [(name: "X-A", value: "1")])
        XCTAssertEqual(response.header("x-a"), "1")
        XCTAssertEqual(response.headers.first?.name, "x-a")
        XCTAssertEqual(response.text, "")
    }
}

/// A value shared between test threads; `@unchecked`: `value` is only touched under `lock`.
private final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
}
