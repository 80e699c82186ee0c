// The worker process's request loop: T threads, each with its own record reader and responder.

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
/// A thread waits in the worker's `ConnectionSet` for a new connection or a request on a
/// connection nginx kept open (`fastcgi_keep_conn`), then reads that request's records
/// itself (`RecordReader`, every length bounded) and answers. A graceful stop writes to a
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
        var reader = RecordReader()
        while case .connection(let connection) = connections.next() {
            reader.use(connection)
            let request: IncomingRequest
            do {
                request = try reader.readRequest(limit: configuration.maxBodyBytes)
            } catch {
                // nginx closed a kept connection, or something that is not nginx wrote to the socket.
                if case .refused(let reason) = error { logger.warning("closed a connection that does not speak FastCGI as nginx does: \(reason)") }
                close(connection)
                connections.closed()
                continue
            }
            let answered = handle(request, on: connection, responder)
            countRequest()
            // Kept if nginx asked and all went well; past the drain deadline the worker must
            // leave, so the connection closes after this answer (the last resort: nginx
            // normally closes it first, see ConnectionSet).
            if answered, request.keepConnection, !reader.hasUnreadBytes, !connections.drainIsOver {
                connections.park(connection)
            } else {
                // Closed at once, on TCP too: every byte nginx sent for the request has been
                // read, so the close cannot reset the connection and lose the answer.
                close(connection)
                connections.closed()
            }
        }
    }

    private func countRequest() {
        let count = served.wrappingAdd(1, ordering: .relaxed).newValue
        if configuration.maxRequests > 0, count == configuration.maxRequests {
            stop(reason: "recycling after \(count) requests")
            onRecycle()
        }
    }

    /// Answers one request; false when nginx went away before the whole answer was sent.
    private func handle(_ incoming: IncomingRequest, on connection: Int32, _ responder: Responder) -> Bool {
        let started = DispatchTime.now().uptimeNanoseconds
        _ = scoreboard?.requestStarted(threads: max(1, configuration.threads))
        let request: Request, response: Response
        switch incoming.body {
        case .body(let body):
            request = Request(params: incoming.params, body: body)
            response = responder.respond(to: request)
        case .tooLarge:
            request = Request(params: incoming.params)
            response = responder.payloadTooLarge(request)
        case .malformed(let reason):
            request = Request(params: incoming.params)
            response = responder.badRequest(request, reason: reason)
        }
        let sent = write(response, requestID: incoming.id, to: connection)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let slow = configuration.slowRequestSeconds > 0 && seconds >= configuration.slowRequestSeconds
        scoreboard?.requestFinished(route: response.route, status: response.status, seconds: seconds, slow: slow)
        if slow {
            logger.warning("slow request: \(RequestLogLine(request, response, seconds: seconds))")
        } else if configuration.accessLog {
            logger.info("\(RequestLogLine(request, response, seconds: seconds))")
        }
        return sent
    }

    /// Writes the response as stdout records and ends the request, in one writev(2) for all but
    /// streamed bodies (a full gallery page is ~85 KB: two records, one system call).
    private func write(_ response: Response, requestID: UInt16, to fd: Int32) -> Bool {
        let head = response.cgiHead()
        guard let streamed = response.streamedBody else {
            return StdoutRecords.write(head, response.body, requestID: requestID, to: fd, ending: true)
        }
        guard StdoutRecords.write(head, [], requestID: requestID, to: fd) else { return false }
        var sent = true
        streamed { piece in
            sent = StdoutRecords.write([], piece, requestID: requestID, to: fd)
            return sent
        }
        return sent && StdoutRecords.write([], [], requestID: requestID, to: fd, ending: true)
    }
}

/// FastCGI `FCGI_STDOUT` records carrying a response (the protocol's record layout, section 3.3),
/// written with one writev(2) that points into the response's own buffers: no copy is made.
enum StdoutRecords {
    /// The largest content one record can carry, kept a multiple of 8 so no padding is needed.
    static let maximumContent = 65528

    /// The 8-byte record headers for `length` bytes of content: version 1, type 6 (stdout),
    /// the request id, the content length, no padding.
    static func headers(contentLength length: Int, requestID: UInt16) -> [UInt8] {
        var headers: [UInt8] = []
        var start = 0
        while start < length {
            let count = min(maximumContent, length - start)
            headers += [1, 6, UInt8(requestID >> 8), UInt8(requestID & 0xff),
                        UInt8(count >> 8), UInt8(count & 0xff), 0, 0]
            start += count
        }
        return headers
    }

    /// Sends `head` then `body` as stdout records, and with `ending` the records that end the
    /// request; false (and stops) if nginx has gone away.
    @discardableResult
    static func write(_ head: [UInt8], _ body: [UInt8], requestID: UInt16, to fd: Int32, ending: Bool = false) -> Bool {
        let headers = headers(contentLength: head.count + body.count, requestID: requestID)
        let end = ending ? RecordReader.endOfAnswer(requestID) : []
        return headers.withUnsafeBytes { headers in
            head.withUnsafeBytes { head in
                body.withUnsafeBytes { body in
                    end.withUnsafeBytes { end in
                        var vectors = iovecs(headers: headers, parts: [head, body])
                        if !end.isEmpty { vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: end.baseAddress!), iov_len: end.count)) }
                        return writeAll(&vectors, to: fd)
                    }
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
