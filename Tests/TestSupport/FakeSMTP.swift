// A local SMTP sink for tests, speaking the protocol as a mail server does: greeting, EHLO (with
// AUTH PLAIN/LOGIN, no STARTTLS), AUTH, MAIL FROM, RCPT TO, DATA (dot-stuffed, ended by "."),
// RSET, NOOP, QUIT. It keeps every message it accepts. `down` answers 421 at the greeting, as a
// server out of service does, so the sender must try again later.

import Codecs
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class FakeSMTP: @unchecked Sendable {
    /// One accepted message.
    public struct Message: Sendable {
        public let from: String
        public let recipients: [String]
        /// The message as sent (headers and MIME body), dot-stuffing undone.
        public let data: String
        /// "user:password" from AUTH, if the client authenticated.
        public let credentials: String?

        public func header(_ name: String) -> String? {
            let head = data.components(separatedBy: "\r\n\r\n").first ?? ""
            return head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        /// The decoded body of the part with this content type (`text/plain`, `text/html`).
        public func part(_ type: String) -> String? {
            guard let start = data.range(of: "Content-Type: \(type)") else { return nil }
            let rest = data[start.upperBound...]
            guard let bodyStart = rest.range(of: "\r\n\r\n") else { return nil }
            let body = rest[bodyStart.upperBound...].prefix { $0 != "-" }
            let base64 = body.components(separatedBy: "\r\n").joined()
            return Base64.decode(base64).map { String(decoding: $0, as: UTF8.self) }
        }

        public var text: String { part("text/plain") ?? "" }
    }

    public let port: UInt16
    public var url: String { "smtp://127.0.0.1:\(port)" }
    private let listener: Int32
    private let lock = NSLock()
    private var _messages: [Message] = []
    private var _down = false
    private var stopped = false
    private var clients: [Int32] = []
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    public var messages: [Message] { lock.withLock { _messages } }
    /// Messages to one address.
    public func messages(to address: String) -> [Message] { messages.filter { $0.recipients.contains(address) } }
    public func setDown(_ down: Bool) { lock.withLock { _down = down } }

    public init() {
        (listener, port) = loopbackListener()
        Thread { self.acceptLoop(); self.acceptLoopDone.signal() }.start()
    }

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
            lock.withLock { clients.append(client) }
            Thread { self.serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer { lock.withLock { clients.removeAll { $0 == client } }; close(client) }
        let connection = Lines(fd: client)
        if lock.withLock({ _down }) {
            connection.write("421 fake.test Service not available, closing transmission channel")
            return
        }
        connection.write("220 fake.test ESMTP ready")
        var from = "", recipients: [String] = [], credentials: String?
        while let line = connection.readLine() {
            let command = line.uppercased()
            if command.hasPrefix("EHLO") {
                connection.write("250-fake.test greets you\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE 10485760\r\n250 8BITMIME")
            } else if command.hasPrefix("HELO") || command.hasPrefix("NOOP") {
                connection.write("250 OK")
            } else if command.hasPrefix("AUTH PLAIN") {
                var encoded = String(line.dropFirst("AUTH PLAIN".count)).trimmingCharacters(in: .whitespaces)
                if encoded.isEmpty {
                    connection.write("334 ")
                    encoded = connection.readLine() ?? ""
                }
                let parts = (Base64.decode(encoded) ?? []).split(separator: 0, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                credentials = parts.count == 3 ? "\(parts[1]):\(parts[2])" : nil
                connection.write("235 2.7.0 Authentication successful")
            } else if command.hasPrefix("AUTH LOGIN") {
                connection.write("334 VXNlcm5hbWU6")
                let user = Base64.decode(connection.readLine() ?? "").map { String(decoding: $0, as: UTF8.self) } ?? ""
                connection.write("334 UGFzc3dvcmQ6")
                let password = Base64.decode(connection.readLine() ?? "").map { String(decoding: $0, as: UTF8.self) } ?? ""
                credentials = "\(user):\(password)"
                connection.write("235 2.7.0 Authentication successful")
            } else if command.hasPrefix("MAIL FROM:") {
                from = Self.address(line)
                recipients = []
                connection.write("250 OK")
            } else if command.hasPrefix("RCPT TO:") {
                recipients.append(Self.address(line))
                connection.write("250 OK")
            } else if command == "DATA" {
                connection.write("354 End data with <CR><LF>.<CR><LF>")
                var lines: [String] = []
                while let dataLine = connection.readLine(), dataLine != "." {
                    lines.append(dataLine.hasPrefix("..") ? String(dataLine.dropFirst()) : dataLine)
                }
                let message = Message(from: from, recipients: recipients, data: lines.joined(separator: "\r\n"), credentials: credentials)
                lock.withLock { _messages.append(message) }
                connection.write("250 2.0.0 OK queued")
            } else if command == "RSET" {
                from = ""
                recipients = []
                connection.write("250 OK")
            } else if command == "QUIT" {
                connection.write("221 2.0.0 Bye")
                return
            } else {
                connection.write("502 5.5.2 Command not recognized")
            }
        }
    }

    /// "MAIL FROM:<a@b.c> SIZE=12" → "a@b.c".
    private static func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.firstIndex(of: ">"), open < close else { return "" }
        return String(line[line.index(after: open)..<close])
    }

    /// CRLF lines over a socket.
    private final class Lines {
        let fd: Int32
        var buffer: [UInt8] = []
        init(fd: Int32) { self.fd = fd }

        func readLine() -> String? {
            while true {
                if let end = buffer.firstRange(of: [13, 10]) {
                    let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
                    buffer.removeFirst(end.upperBound)
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 65536)
                let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { return nil }
                buffer += chunk[..<count]
            }
        }

        func write(_ reply: String) {
            let bytes = Array((reply + "\r\n").utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }
}
