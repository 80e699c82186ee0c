// A minimal FastCGI client (the nginx side of the protocol) for driving the server in tests.

import Foundation

struct FastCGIClient {
    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    let socketPath: String

    /// Sends one request on a fresh connection and reads the reply until END_REQUEST.
    func send(params: [String: String], body: [UInt8] = [], chunk: Int = 65535) throws -> Reply {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeAll(fd, request(params: params, body: body, chunk: chunk))
        return try parse(readStdout(fd))
    }

    /// A connection kept open across requests, as nginx does with `fastcgi_keep_conn on`.
    /// `@unchecked`: a test uses it from one thread at a time, handing it over across a
    /// DispatchGroup wait or a thread's start, which order the accesses.
    final class KeptConnection: @unchecked Sendable {
        let fd: Int32
        private let client: FastCGIClient

        fileprivate init(fd: Int32, client: FastCGIClient) {
            self.fd = fd
            self.client = client
        }

        deinit { close(fd) }

        func send(params: [String: String]) throws -> Reply {
            try client.writeAll(fd, client.request(params: params, body: [], chunk: 65535, keepConnection: true))
            return try client.parse(client.readStdout(fd))
        }

        /// Closes the connection from this side, as nginx does with an idle kept connection.
        func hangUp() {
            shutdown(fd, Int32(SHUT_RDWR))
        }

        /// Whether the server has closed its side (a read sees end of file within `timeout`).
        func isClosedByServer(within timeout: TimeInterval) -> Bool {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeout * 1000)) == 1 else { return false }
            var byte: UInt8 = 0
            return read(fd, &byte, 1) == 0
        }
    }

    func keptConnection() throws -> KeptConnection {
        KeptConnection(fd: try connectSocket(), client: self)
    }

    /// Sends one request and hangs up without reading the reply, as a client that went away.
    func abandon(params: [String: String]) throws {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeAll(fd, request(params: params, body: [], chunk: 65535))
    }

    fileprivate func request(params: [String: String], body: [UInt8], chunk: Int, keepConnection: Bool = false) -> [UInt8] {
        // BEGIN_REQUEST: the responder role, and the flag asking the server to keep the connection.
        var bytes = record(type: 1, content: [0, 1, keepConnection ? 1 : 0, 0, 0, 0, 0, 0])
        bytes += record(type: 4, content: encode(params))
        bytes += record(type: 4, content: [])
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            bytes += record(type: 5, content: Array(body[offset..<end]))
            offset = end
        }
        bytes += record(type: 5, content: [])
        return bytes
    }

    /// Writes raw bytes to a fresh connection and returns what comes back before close.
    func sendRaw(_ bytes: [UInt8]) throws -> [UInt8] {
        let fd = try connectSocket()
        defer { close(fd) }
        try writeAll(fd, bytes)
        shutdown(fd, Int32(SHUT_WR))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return received
    }

    private func connectSocket() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    private func record(type: UInt8, content: [UInt8]) -> [UInt8] {
        [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), 0, 0] + content
    }

    private func encode(_ params: [String: String]) -> [UInt8] {
        var bytes: [UInt8] = []
        func length(_ count: Int) -> [UInt8] {
            count < 128 ? [UInt8(count)]
                : [UInt8((count >> 24) | 0x80), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)]
        }
        for (name, value) in params {
            bytes += length(name.utf8.count) + length(value.utf8.count) + Array(name.utf8) + Array(value.utf8)
        }
        return bytes
    }

    fileprivate func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw POSIXError(.EPIPE) }
            offset += written
        }
    }

    fileprivate func readStdout(_ fd: Int32) throws -> [UInt8] {
        var stdout: [UInt8] = []
        while true {
            let header = try readExactly(fd, 8)
            let length = Int(header[4]) << 8 | Int(header[5])
            let content = try readExactly(fd, length + Int(header[6]))
            switch header[1] {
            case 6: stdout += content.prefix(length)
            case 3: return stdout
            default: continue
            }
        }
    }

    private func readExactly(_ fd: Int32, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes[filled...].withUnsafeMutableBytes { read(fd, $0.baseAddress, count - filled) }
            guard got > 0 else { throw POSIXError(.ECONNRESET) }
            filled += got
        }
        return bytes
    }

    fileprivate func parse(_ stdout: [UInt8]) throws -> Reply {
        let text = String(decoding: stdout, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        var headers: [String: String] = [:]
        for line in text[..<split.lowerBound].components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let status = Int(headers["status"]?.prefix(3) ?? "") ?? 0
        return Reply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}
