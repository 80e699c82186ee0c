// Opens the socket nginx connects to: a unix socket path or a TCP host:port.

internal import CFastCGI
import Foundation

/// Errors opening the listen socket.
public struct ListenError: Error, CustomStringConvertible {
    public let description: String
}

public enum Listener {
    /// Binds and listens on `address`: `/path/to.sock` (or `unix:/path`) for a unix socket,
    /// `host:port` or `:port` for TCP. `mode` applies to a unix socket file.
    /// The descriptor is left inheritable: the master hands it to its workers.
    public static func open(_ address: String, backlog: Int32 = 1024, mode: Glibc.mode_t = 0o660) throws -> Int32 {
        let path = address.hasPrefix("unix:") ? String(address.dropFirst(5)) : address
        let isUnix = path.hasPrefix("/") || path.hasPrefix(".")
        if isUnix {
            if isServed(path) {
                throw ListenError(description: "\(path) is in use by a running server")
            }
            // libfcgi removes a stale socket file left behind by a crash, then binds.
        }
        let fd = FCGX_OpenSocket(path, backlog)
        guard fd >= 0 else {
            throw ListenError(description: "cannot listen on \(address): \(String(cString: strerror(errno)))")
        }
        if isUnix, chmod(path, mode) != 0 {
            close(fd)
            throw ListenError(description: "cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Whether something accepts connections on the unix socket at `path`, so a second
    /// master does not steal the socket of one already running.
    static func isServed(_ path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
