// The worker process's request loop: T threads, each with its own FCGX_Request and responder.

internal import CFastCGI
import Foundation
import Logging
import Synchronization

/// Turns a request into a response. Each server thread gets its own responder, so a
/// responder may own per-thread resources such as a database connection.
public protocol Responder {
    func respond(to request: Request) -> Response
    /// The answer when the declared body is larger than the server's limit.
    func payloadTooLarge(_ request: Request) -> Response
    /// The answer when the body cannot be read as declared (bad Content-Length, cut short).
    func badRequest(_ request: Request, reason: String) -> Response
}

extension Responder {
    public func payloadTooLarge(_ request: Request) -> Response {
        Response(status: 413, contentType: "text/plain; charset=utf-8", body: "Request body too large.\n")
    }

    public func badRequest(_ request: Request, reason: String) -> Response {
        Response(status: 400, contentType: "text/plain; charset=utf-8", body: reason + "\n")
    }
}

public struct ServerConfiguration: Sendable {
    /// Request threads in this process.
    public var threads: Int
    /// Stop after this many requests so the master starts a fresh process (0 = never).
    public var maxRequests: Int
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// Log one line per request.
    public var accessLog: Bool
    /// How long a stopping worker goes on answering on the connections nginx keeps open to it.
    public var drainSeconds: Double
    /// Requests that take at least this long are logged as slow and counted (0: never).
    public var slowRequestSeconds: Double

    public init(threads: Int = 8, maxRequests: Int = 0, maxBodyBytes: Int = 10 << 20, accessLog: Bool = true,
                drainSeconds: Double = 10, slowRequestSeconds: Double = 0) {
        self.threads = threads
        self.maxRequests = maxRequests
        self.maxBodyBytes = maxBodyBytes
        self.accessLog = accessLog
        self.drainSeconds = drainSeconds
        self.slowRequestSeconds = slowRequestSeconds
    }
}

/// Serves FastCGI requests on an already-listening socket until told to stop.
///
/// A thread calls into libfcgi only once work is there: it waits in the worker's
/// `ConnectionSet` for a new connection or a request on a connection nginx kept open
/// (`fastcgi_keep_conn`), then has libfcgi read that request. A graceful stop writes to a
/// wake-up pipe in the same set: the worker takes no new connection, answers what comes on
/// the kept ones until nginx has closed them (see `ConnectionSet`), and no thread is ever
/// interrupted while it reads or answers a request.
///
/// Everything the threads share is immutable or atomic: the per-request path takes no lock.
public final class FastCGIServer: Sendable {
    private let listenFD: Int32
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let makeResponder: @Sendable () -> Responder
    private let onRecycle: @Sendable () -> Void
    /// This worker's slot in the pool's scoreboard (nil when it runs on its own).
    private let scoreboard: Scoreboard.Slot?
    /// On closing a connection libfcgi shuts down its side and then waits (up to 2 s) for nginx
    /// to close the other, so that TCP cannot reset the connection over unread input and lose
    /// the response. A unix socket never discards what was written, so there the thread
    /// closes at once (libfcgi does so for a "detached" request) and is free for the next one.
    private let listensOnUnixSocket: Bool

    /// Why the server stops, set by the first `stop()`.
    private let stopReason = Mutex<String?>(nil)
    private let served = Atomic<Int>(0)
    /// Readable (for good: it is never drained) once the server is stopping; it is in the
    /// connection set every thread waits on, and `run()` waits on it too. Made here rather than
    /// in `run()` so that a `stop()` that comes first always has somewhere to write.
    private let wakeRead: Int32, wakeWrite: Int32
    private let connections: ConnectionSet

    /// - Parameter makeResponder: called once on each server thread, so a responder may own
    ///   what must not be shared between threads (a database connection).
    /// - Parameter onRecycle: called once when `maxRequests` is reached, as the worker begins
    ///   to stop (the master starts its replacement then, not once it has left).
    /// - Parameter scoreboard: where this worker counts its requests for the pool's metrics.
    public init(listenFD: Int32, configuration: ServerConfiguration, logger: Logger,
                makeResponder: @escaping @Sendable () -> Responder,
                onRecycle: @escaping @Sendable () -> Void = {}, scoreboard: Scoreboard.Slot? = nil) {
        self.listenFD = listenFD
        self.configuration = configuration
        self.logger = logger
        self.makeResponder = makeResponder
        self.onRecycle = onRecycle
        self.scoreboard = scoreboard
        listensOnUnixSocket = Self.isUnixSocket(listenFD)
        var pipeFDs: [Int32] = [-1, -1]
        precondition(pipe(&pipeFDs) == 0, "pipe failed")
        (wakeRead, wakeWrite) = (pipeFDs[0], pipeFDs[1])
        connections = ConnectionSet(listenFD: listenFD, wakeFD: wakeRead, drainSeconds: configuration.drainSeconds,
                                    onAccept: { [scoreboard] in scoreboard?.connectionAccepted() },
                                    logger: { [logger] in logger.warning("\($0)") })
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Runs the threads and blocks until a stop signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT),
    /// `stop()`, or `maxRequests`; returns once every in-flight request has finished.
    public func run() {
        Signals.block(Signals.control)
        FCGX_Init()
        // libfcgi installs a SIGTERM handler that only sets its own shutdown flag (and then makes
        // every accept fail); stop requests are taken by sigwait below instead.
        signal(SIGTERM, SIG_DFL)
        signal(SIGPIPE, SIG_IGN)  // a client gone mid-write is an error to handle, not a reason to die
        keepFreedMemory()
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)
        startSignalWatcher()

        scoreboard?.begin(threads: max(1, configuration.threads))
        let threads = (0..<max(1, configuration.threads)).map { _ in startThread { [self] in serve() } }
        waitForStop()
        scoreboard?.setDraining()
        let reason = stopReason.withLock { $0 } ?? ""
        logger.info("worker \(getpid()) stopping (\(reason)): no new connections, answering on the kept ones until nginx closes them")

        for thread in threads { pthread_join(thread, nil) }
        let left = connections.closeParked()
        if left > 0 {
            logger.warning("worker \(getpid()) closed \(left) kept connections nginx still held after \(configuration.drainSeconds)s of draining")
        }
        logger.info("worker \(getpid()) stopped after \(served.load(ordering: .relaxed)) requests")
    }

    /// Every request builds its page in a fresh buffer of up to a few hundred KB. By default glibc
    /// hands such memory back to the kernel when it is freed (and serves the largest from mmap),
    /// so the next request faults the same pages in again; page faults showed in gallery
    /// profiles. Keeping up to 64 MB of freed heap per process for reuse avoids that.
    private func keepFreedMemory() {
        _ = mallopt(M_MMAP_THRESHOLD, 4 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 64 << 20)
    }

    /// Asks the server to stop gracefully. Safe from any thread, before or during `run()`.
    public func stop(reason: String) {
        let first = stopReason.withLock { current in
            guard current == nil else { return false }
            current = reason
            return true
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// Blocks until the wake-up pipe is readable, that is until `stop()` has been called.
    private func waitForStop() {
        var wake = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        while poll(&wake, 1, -1) < 0, errno == EINTR {}
    }

    private func startSignalWatcher() {
        _ = startThread { [self] in
            var set = Signals.set(Signals.control)
            var signal: Int32 = 0
            sigwait(&set, &signal)
            stop(reason: Signals.name(signal))
        }
    }

    private func serve() {
        let responder = makeResponder()
        var request = FCGX_Request()
        // No listening socket for libfcgi: connections are accepted in `connections`, and
        // libfcgi only reads requests from them.
        FCGX_InitRequest(&request, -1, 0)
        defer { FCGX_Free(&request, 1) }

        while case .connection(let connection) = connections.next() {
            guard read(&request, from: connection) else {
                connections.closed()
                continue
            }
            handle(&request, responder)
            if listensOnUnixSocket { request.detached = 1 }
            // Past the drain deadline the worker must leave: the connection closes after this
            // answer, though nginx might reuse it (the last resort; nginx normally closes first).
            if connections.drainIsOver { request.keepConnection = 0 }
            FCGX_Finish_r(&request)
            countRequest()
            // Still open if nginx asked to keep it (and nothing failed): wait for its next request.
            if request.ipcFd >= 0 {
                connections.park(request.ipcFd)
                request.ipcFd = -1
            } else {
                connections.closed()
            }
        }
    }

    private static func isUnixSocket(_ fd: Int32) -> Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return found == 0 && Int32(address.ss_family) == AF_UNIX
    }

    /// Has libfcgi read the request waiting on `connection`. False when there was none: nginx
    /// closed a kept connection, or sent something that is not FastCGI (libfcgi then closed it).
    private func read(_ request: inout FCGX_Request, from connection: Int32) -> Bool {
        request.ipcFd = connection
        // Marked as kept, so the finishing step at the start of FCGX_Accept_r leaves it open.
        request.keepConnection = 1
        let result = FCGX_Accept_r(&request)
        if result < 0 {
            // libfcgi closed the connection and, finding no listening socket, gave up (EBADF).
            if result != -EBADF { logger.warning("reading a request failed: \(String(cString: strerror(-result)))") }
            request.ipcFd = -1
            return false
        }
        return true
    }

    private func countRequest() {
        let count = served.wrappingAdd(1, ordering: .relaxed).newValue
        if configuration.maxRequests > 0, count == configuration.maxRequests {
            stop(reason: "recycling after \(count) requests")
            onRecycle()
        }
    }

    private func handle(_ raw: inout FCGX_Request, _ responder: Responder) {
        let started = DispatchTime.now().uptimeNanoseconds
        _ = scoreboard?.requestStarted(threads: max(1, configuration.threads))
        let params = Self.params(raw.envp)
        let request: Request, response: Response
        switch BodyReader.read(from: raw.in, declaredLength: params["CONTENT_LENGTH"],
                               limit: configuration.maxBodyBytes) {
        case .body(let body):
            request = Request(params: params, body: body)
            response = responder.respond(to: request)
        case .tooLarge:
            request = Request(params: params)
            response = responder.payloadTooLarge(request)
        case .malformed(let reason):
            request = Request(params: params)
            response = responder.badRequest(request, reason: reason)
        }
        write(response, &raw)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let slow = configuration.slowRequestSeconds > 0 && seconds >= configuration.slowRequestSeconds
        scoreboard?.requestFinished(route: response.route, status: response.status, seconds: seconds, slow: slow)
        if slow {
            logger.warning("slow request: \(RequestLogLine(request, response, seconds: seconds))")
        } else if configuration.accessLog {
            logger.info("\(RequestLogLine(request, response, seconds: seconds))")
        }
    }

    /// Responses up to this size go through libfcgi's stream buffer.
    static let directWriteThreshold = 16 << 10

    /// Writes the response as FastCGI stdout records. libfcgi sends what it buffers in 8 KB
    /// records, a write(2) each; a large page (a full gallery is ~85 KB) goes instead straight to
    /// the connection in records of up to 64 KB with one write. libfcgi still ends the stream
    /// and the request in FCGX_Finish_r; nothing is in its buffer, so the order holds.
    private func write(_ response: Response, _ raw: inout FCGX_Request) {
        let head = response.cgiHead()
        if let streamed = response.streamedBody {
            let requestID = raw.requestId, fd = raw.ipcFd
            guard StdoutRecords.write(head, [], requestID: requestID, to: fd) else { return }
            streamed { piece in StdoutRecords.write([], piece, requestID: requestID, to: fd) }
            return
        }
        guard head.count + response.body.count > Self.directWriteThreshold else {
            for part in [head, response.body] {
                part.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { _ = FCGX_PutStr($0.baseAddress, Int32($0.count), raw.out) }
                }
            }
            return
        }
        StdoutRecords.write(head, response.body, requestID: raw.requestId, to: raw.ipcFd)
    }

    /// Copies the params out: libfcgi frees them at the next accept. Each is a C string
    /// `NAME=value`; split on bytes, as there are some thirty per request.
    static func params(_ envp: FCGX_ParamArray?) -> [String: String] {
        var params: [String: String] = [:]
        guard var cursor = envp else { return params }
        params.reserveCapacity(40)
        while let entry = cursor.pointee {
            let pair = UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self)
            let length = strlen(entry)
            if let equals = memchr(entry, Int32(UInt8(ascii: "=")), length) {
                let nameLength = UnsafeRawPointer(equals) - UnsafeRawPointer(entry)
                let name = String(decoding: UnsafeBufferPointer(start: pair, count: nameLength), as: UTF8.self)
                params[name] = String(decoding: UnsafeBufferPointer(start: pair + nameLength + 1, count: length - nameLength - 1),
                                      as: UTF8.self)
            }
            cursor += 1
        }
        return params
    }
}

/// FastCGI `FCGI_STDOUT` records carrying a response (the protocol's record layout, section 3.3),
/// written with one writev(2) that points into the response's own buffers: no copy is made.
enum StdoutRecords {
    /// The largest content one record can carry, kept a multiple of 8 so no padding is needed.
    static let maximumContent = 65528

    /// The 8-byte record headers for `length` bytes of content: version 1, type 6 (stdout),
    /// the request id, the content length, no padding.
    static func headers(contentLength length: Int, requestID: Int32) -> [UInt8] {
        var headers: [UInt8] = []
        var start = 0
        while start < length {
            let count = min(maximumContent, length - start)
            headers += [1, 6, UInt8(truncatingIfNeeded: requestID >> 8), UInt8(truncatingIfNeeded: requestID),
                        UInt8(count >> 8), UInt8(count & 0xff), 0, 0]
            start += count
        }
        return headers
    }

    /// Sends `head` then `body` as stdout records; stops quietly if nginx has gone away
    /// (FCGX_Finish_r then fails on the same connection and libfcgi cleans up), and says so.
    @discardableResult
    static func write(_ head: [UInt8], _ body: [UInt8], requestID: Int32, to fd: Int32) -> Bool {
        let headers = headers(contentLength: head.count + body.count, requestID: requestID)
        return headers.withUnsafeBytes { headers in
            head.withUnsafeBytes { head in
                body.withUnsafeBytes { body in
                    var vectors = iovecs(headers: headers, parts: [head, body])
                    return writeAll(&vectors, to: fd)
                }
            }
        }
    }

    /// Header, then that record's content (which may span the end of one part and the start
    /// of the next), for every record.
    static func iovecs(headers: UnsafeRawBufferPointer, parts: [UnsafeRawBufferPointer]) -> [iovec] {
        var vectors: [iovec] = []
        var part = 0, offset = 0
        for record in 0..<headers.count / 8 {
            let header = headers.baseAddress! + record * 8
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: header), iov_len: 8))
            var remaining = Int(header.load(fromByteOffset: 4, as: UInt8.self)) << 8 | Int(header.load(fromByteOffset: 5, as: UInt8.self))
            while remaining > 0 {
                let available = parts[part].count - offset
                if available == 0 { part += 1; offset = 0; continue }
                let count = min(available, remaining)
                vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: parts[part].baseAddress! + offset), iov_len: count))
                offset += count
                remaining -= count
            }
        }
        return vectors
    }

    /// writev until everything is sent, resuming after a partial write; false if the peer is gone.
    private static func writeAll(_ vectors: inout [iovec], to fd: Int32) -> Bool {
        var first = 0
        while first < vectors.count {
            let sent = vectors[first...].withUnsafeBufferPointer { Glibc.writev(fd, $0.baseAddress, Int32(min($0.count, 1024))) }  // IOV_MAX on Linux
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            var left = sent
            while first < vectors.count, left >= vectors[first].iov_len {
                left -= vectors[first].iov_len
                first += 1
            }
            if left > 0 {
                vectors[first].iov_base += left
                vectors[first].iov_len -= left
            }
        }
        return true
    }
}

/// Starts a joinable POSIX thread running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    let result = pthread_create(&thread, nil, { context in
        let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    precondition(result == 0, "pthread_create failed: \(result)")
    return thread
}
