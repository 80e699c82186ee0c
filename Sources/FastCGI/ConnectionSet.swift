// Where a worker's threads wait for requests: the listening socket and the connections nginx
// keeps open between requests (`fastcgi_keep_conn`), in one epoll set the threads share.

internal import CFastCGI
import Dispatch
import Glibc
import Synchronization

/// The connections a worker process takes requests from.
///
/// Every socket in the set is armed for one wake-up at a time (EPOLLONESHOT): exactly one
/// thread takes each new connection or each request on a kept connection, and a kept
/// connection ties up no thread while nginx has nothing to send on it. (Were a thread to hold
/// its kept connection and block on it, nginx could open more connections than there are
/// threads, and the newest would wait until an idle one timed out.)
///
/// A stopping worker drains: it takes no new connection and goes on answering requests on the
/// connections nginx keeps, until nginx has closed them all (its upstream `keepalive_timeout`
/// and `keepalive_requests` see to that) or the drain deadline passes. Only nginx may close a
/// kept connection safely: it may already be writing the next request to one the worker
/// closes, and a POST it cannot send elsewhere would end as a 502.
final class ConnectionSet: Sendable {
    enum Work: Equatable {
        /// A connected socket with a request to read.
        case connection(Int32)
        /// The server is stopping and has nothing left to serve (or no more time to).
        case stop
    }

    private let epoll: Int32
    private let listenFD: Int32
    private let wakeFD: Int32
    private let drainSeconds: Double
    /// Kept connections waiting for nginx's next request.
    private let parked = Mutex<Set<Int32>>([])
    /// Connections accepted and not yet closed, parked or being served.
    private let open = Atomic<Int>(0)
    /// When draining ends (nanoseconds of the monotonic clock); 0 while not stopping.
    private let drainDeadline = Atomic<UInt64>(0)
    private let onAccept: @Sendable () -> Void
    private let logger: @Sendable (String) -> Void

    /// `wakeFD` becomes readable (and stays so) when the server stops; kept connections are
    /// then served for up to `drainSeconds` more.
    init(listenFD: Int32, wakeFD: Int32, drainSeconds: Double, onAccept: @escaping @Sendable () -> Void = {},
         logger: @escaping @Sendable (String) -> Void) {
        self.listenFD = listenFD
        self.wakeFD = wakeFD
        self.drainSeconds = drainSeconds
        self.onAccept = onAccept
        self.logger = logger
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed")
        var wake = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &wake) == 0, "epoll_ctl failed")
        var listen = Self.oneShot(listenFD)
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, listenFD, &listen) == 0, "epoll_ctl failed")
    }

    deinit {
        close(epoll)
    }

    /// Whether the worker is stopping and past its drain deadline: a request answered now
    /// closes its connection after it.
    var drainIsOver: Bool {
        let deadline = drainDeadline.load(ordering: .acquiring)
        return deadline != 0 && DispatchTime.now().uptimeNanoseconds >= deadline
    }

    /// Blocks until a connection has a request for this thread, or the server is stopping and
    /// every connection has been closed (by nginx) or the drain deadline has passed.
    func next() -> Work {
        var event = epoll_event()
        while true {
            let draining = drainDeadline.load(ordering: .acquiring) != 0
            if draining, open.load(ordering: .acquiring) == 0 || drainIsOver { return .stop }
            // Look up now and then: the wake-up pipe may have woken another thread only, and
            // while draining the last connection may close in another thread, or the deadline
            // pass, with no event for this one.
            let count = epoll_wait(epoll, &event, 1, draining ? 50 : 250)
            if count < 0 {
                if errno == EINTR { continue }
                return .stop
            }
            if count == 0 { continue }
            switch event.data.fd {
            case wakeFD:
                beginDraining()
            case listenFD:
                // While draining, new connections are left to the other workers: the listening
                // socket is not armed again.
                guard !draining else { continue }
                if let connection = acceptOne() { return .connection(connection) }
            case let connection:
                parked.withLock { _ = $0.remove(connection) }
                return .connection(connection)
            }
        }
    }

    /// Starts the drain once, for every thread: the wake-up pipe stays readable, so it leaves
    /// the set (else every wait would return at once).
    private func beginDraining() {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, drainSeconds) * 1e9)
        guard drainDeadline.compareExchange(expected: 0, desired: deadline, ordering: .acquiringAndReleasing).exchanged else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, wakeFD, nil)
    }

    /// Takes one waiting connection, then re-arms the listening socket so that another thread
    /// can take the next. nil when another worker process was quicker.
    private func acceptOne() -> Int32? {
        let connection = pictor_accept_cloexec(listenFD)
        let failure = errno
        var listen = Self.oneShot(listenFD)
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, listenFD, &listen)
        guard connection < 0 else {
            // A request that stops arriving half-way (not nginx's doing) frees its thread after a minute.
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            open.add(1, ordering: .acquiringAndReleasing)
            onAccept()
            return connection
        }
        if failure != EAGAIN, failure != EWOULDBLOCK, failure != EINTR, failure != ECONNABORTED {
            logger("accept failed: \(String(cString: strerror(failure)))")
            usleep(10_000)  // out of descriptors, say: do not spin
        }
        return nil
    }

    /// Watches a kept connection for nginx's next request.
    func park(_ connection: Int32) {
        parked.withLock { _ = $0.insert(connection) }
        var event = Self.oneShot(connection)
        // A connection accepted here is not in the set yet; one that came back from it is.
        if epoll_ctl(epoll, EPOLL_CTL_MOD, connection, &event) != 0 {
            if errno != ENOENT || epoll_ctl(epoll, EPOLL_CTL_ADD, connection, &event) != 0 {
                parked.withLock { _ = $0.remove(connection) }
                close(connection)
                closed()
            }
        }
    }

    /// Counts a connection a server thread closed (nginx closed its side, the request did not
    /// ask to keep it, or the records were not FastCGI as nginx speaks it).
    func closed() {
        open.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// Closes the kept connections nginx still held when the drain deadline passed (once the
    /// threads have stopped); returns how many there were.
    @discardableResult
    func closeParked() -> Int {
        let connections = parked.withLock { parked in
            defer { parked.removeAll() }
            return parked
        }
        for connection in connections {
            close(connection)
            closed()
        }
        return connections.count
    }

    private static func oneShot(_ fd: Int32) -> epoll_event {
        epoll_event(events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, data: epoll_data_t(fd: fd))
    }
}
