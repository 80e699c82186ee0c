// LISTEN/NOTIFY: lets an idle job worker sleep until a job is queued instead of polling.

internal import CLibPQ
#if canImport(Glibc)
internal import Glibc
#endif

extension Connection {
    /// Subscribes this session to `channel` (idempotent; call again after a reconnect, since a
    /// new session has no subscriptions).
    public func listen(_ channel: String) throws {
        guard channel.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw PostgresError(kind: .query, message: "invalid channel name \(channel)")
        }
        try execute("LISTEN \(channel)")
    }

    /// Waits up to `timeout` seconds for a notification on a channel this session listens to.
    /// Returns true when one (or more) arrived, false on timeout. A readable `alsoWakingOn`
    /// descriptor (the read end of a pipe other threads write to) ends the wait early too;
    /// the caller drains it.
    public func waitForNotification(timeout: Double, alsoWakingOn descriptor: Int32? = nil) throws -> Bool {
        guard let conn = handle else { throw PostgresError(kind: .connection, message: "the connection was closed") }
        if drainNotifications(conn) { return true }
        var fds = [pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)]
        if let descriptor { fds.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000))
        guard ready > 0, fds[0].revents != 0 else { return false }
        guard PQconsumeInput(conn) != 0 else {
            throw PostgresError(kind: .connectionLost, message: "connection lost while waiting for notifications")
        }
        return drainNotifications(conn)
    }

    private func drainNotifications(_ conn: OpaquePointer) -> Bool {
        var any = false
        while let notification = PQnotifies(conn) {
            PQfreemem(notification)
            any = true
        }
        return any
    }
}
