// Where a worker's threads wait for requests: the listening socket and the connections nginx
// keeps open between requests (`fastcgi_keep_conn`), in one epoll set the threads share.

internal import CFastCGI
import Glibc
import Synchronization

/// The connections a worker process takes requests from.
///
/// Every socket in the set is armed for one wake-up at a time (EPOLLONESHOT): exactly one
/// thread takes each new connection or each request on a kept connection, and a kept
/// connection ties up no thread while nginx has nothing to send on it. (Were a thread to hold
/// its kept connection and block on it, nginx could open more connections than there are
/// threads, and the newest would wait until an idle one timed out.)
final class ConnectionSet: Sendable {
    enum Work: Equatable {
        /// A connected socket with a request to read.
        case connection(Int32)
        /// The server is stopping and no request that arrived before is left.
        case stop
    }

    private let epoll: Int32
    private let listenFD: Int32
    private let wakeFD: Int32
    /// Kept connections waiting for nginx's next request; closed when the worker stops.
    private let parked = Mutex<Set<Int32>>([])
    private let logger: @Sendable (String) -> Void

    /// `wakeFD` becomes readable (and stays so) when the server stops.
    init(listenFD: Int32, wakeFD: Int32, logger: @escaping @Sendable (String) -> Void) {
        self.listenFD = listenFD
        self.wakeFD = wakeFD
        self.logger = logger
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed")
        // Level-triggered and never disarmed: once stopping, every waiting thread sees it.
        var wake = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &wake) == 0, "epoll_ctl failed")
        var listen = Self.oneShot(listenFD)
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, listenFD, &listen) == 0, "epoll_ctl failed")
    }

    deinit {
        close(epoll)
    }

    /// Blocks until a connection has a request for this thread, or the server is stopping and
    /// no request that was already sent is left (those are still served, not dropped).
    func next() -> Work {
        var event = epoll_event()
        var stopping = false
        while true {
            // One event at a time, so a thread never takes work it then has to hand back. The
            // wake-up pipe, once readable, goes back to the end of the ready list each time it
            // is reported: seeing it twice in a row means no connection is waiting.
            let count = epoll_wait(epoll, &event, 1, stopping ? 0 : -1)
            if count < 0 {
                if errno == EINTR { continue }
                return .stop
            }
            if count == 0 { return .stop }
            switch event.data.fd {
            case wakeFD:
                if stopping { return .stop }
                stopping = true
            case listenFD:
                // While stopping, new connections are left to the other workers.
                guard !stopping else { continue }
                if let connection = acceptOne() { return .connection(connection) }
            case let connection:
                parked.withLock { _ = $0.remove(connection) }
                return .connection(connection)
            }
        }
    }

    /// Takes one waiting connection, then re-arms the listening socket so that another thread
    /// can take the next. nil when another worker process was quicker.
    private func acceptOne() -> Int32? {
        let connection = pictor_accept_cloexec(listenFD)
        let failure = errno
        var listen = Self.oneShot(listenFD)
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, listenFD, &listen)
        guard connection < 0 else { return connection }
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
            }
        }
    }

    /// Closes the kept connections nobody is serving (once the threads have stopped); nginx
    /// opens new ones to the workers still running.
    func closeParked() {
        let connections = parked.withLock { parked in
            defer { parked.removeAll() }
            return parked
        }
        for connection in connections { close(connection) }
    }

    private static func oneShot(_ fd: Int32) -> epoll_event {
        epoll_event(events: EPOLLIN.rawValue | EPOLLONESHOT.rawValue, data: epoll_data_t(fd: fd))
    }
}
