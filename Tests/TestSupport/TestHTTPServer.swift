// A tiny HTTP/1.1 server on 127.0.0.1 for HTTPClient tests: keep-alive, Content-Length bodies, scripted replies.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the test server received.
public struct ReceivedRequest {
    public var method = "", target = ""
    public var headers: [(String, String)] = []
    public var body: [UInt8] = []
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// What the test server sends back. `interim` is raw text written before the
/// final response, e.g. "HTTP/1.1 100 Continue\r\n\r\n".
public struct ScriptedResponse: Sendable {
    public var status = 200, reason = "OK"
    public var headers: [(String, String)] = []
    public var body: [UInt8] = []
    public var interim = ""

    public init(status: Int = 200, reason: String = "OK", headers: [(String, String)] = [], body: [UInt8] = [], interim: String = "") {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.interim = interim
    }
}

/// `@unchecked`: its mutable state (clients, counters, `stopped`) is only touched under `lock`;
/// the handler is `@Sendable`.
public final class TestHTTPServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (ReceivedRequest) -> ScriptedResponse
    private let lock = NSLock()
    private var clients: [Int32] = []
    private var stopped = false
    private let acceptLoopDone = DispatchSemaphore(value: 0)
    private var _connections = 0
    private var _requests: [ReceivedRequest] = []

    public var connections: Int { lock.withLock { _connections } }
    public var requests: [ReceivedRequest] { lock.withLock { _requests } }

    /// Binds 127.0.0.1 on a free port; accepts connections only if `accepting`.
    public init(accepting: Bool = true, handler: @escaping @Sendable (ReceivedRequest) -> ScriptedResponse = { _ in ScriptedResponse() }) {
        self.handler = handler
        (listener, port) = loopbackListener()
        if accepting {
            Thread { self.acceptLoop(); self.acceptLoopDone.signal() }.start()
        } else {
            acceptLoopDone.signal()
        }
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Closes the listener and every open connection; their threads then exit. The listener is
    /// closed only after the accept loop has left: otherwise its descriptor number could be
    /// reused by the next test's server while this loop still calls accept() on it, and that
    /// server's connections would be answered by this server's handler.
    public func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptLoopDone.wait()
        close(listener)
        lock.withLock { clients.forEach { _ = shutdown($0, Int32(SHUT_RDWR)) } }
    }

    private func acceptLoop() {
        while !lock.withLock({ stopped }) {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.withLock { _connections += 1; clients.append(client) }
            Thread { self.serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        // Leave the open list before closing, so stop() never shuts down a reused descriptor.
        defer { lock.withLock { clients.removeAll { $0 == client } }; close(client) }
        var buffer = [UInt8]()
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            // Read until the end of the header block.
            var headerEnd: Int?
            while headerEnd == nil {
                headerEnd = buffer.firstRange(of: separator)?.upperBound
                if headerEnd == nil, !read(client, into: &buffer) { return }
            }
            let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let requestLine = lines.removeFirst().split(separator: " ").map(String.init)
            var request = ReceivedRequest(method: requestLine[0], target: requestLine[1])
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                request.headers.append((String(line[..<colon]),
                                        line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let length = Int(request.header("Content-Length") ?? "0") ?? 0
            while buffer.count < headerEnd! + length {
                if !read(client, into: &buffer) { return }
            }
            request.body = Array(buffer[headerEnd!..<headerEnd! + length])
            buffer.removeFirst(headerEnd! + length)
            lock.withLock { _requests.append(request) }

            let response = handler(request)
            var out = Array(response.interim.utf8)
            out += Array("HTTP/1.1 \(response.status) \(response.reason)\r\n".utf8)
            for (name, value) in response.headers { out += Array("\(name): \(value)\r\n".utf8) }
            if !response.headers.contains(where: { $0.0.lowercased() == "content-length" }) {
                out += Array("Content-Length: \(response.body.count)\r\n".utf8)
            }
            out += Array("\r\n".utf8)
            if request.method != "HEAD" { out += response.body }
            guard out.withUnsafeBytes({ send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == out.count
            else { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private func read(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer += chunk[..<n]
        return true
    }
}

/// A TCP socket listening on 127.0.0.1 at a free port, for the test servers.
func loopbackListener() -> (fd: Int32, port: UInt16) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            precondition(bind(listener, $0, length) == 0 && listen(listener, 16) == 0)
            precondition(getsockname(listener, $0, &length) == 0)
        }
    }
    return (listener, UInt16(bigEndian: address.sin_port))
}
