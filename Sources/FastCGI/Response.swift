// An HTTP response, and how it is written back to nginx in CGI form.

import Foundation

/// One HTTP response. Headers are a list so a name may repeat (`Set-Cookie`).
public struct Response: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A body made while it is sent, for downloads too large to hold (a data export): called
    /// once the head is written, with a function that sends one piece and returns false once
    /// the client has gone away (then stop). `body` is not sent, nor a Content-Length.
    public var streamedBody: (@Sendable (_ send: ([UInt8]) -> Bool) -> Void)?
    /// For the pool's request log and metrics, never sent: the route that answered (such as
    /// `GET /generations/{id}`; nil for a request no route took) and the user it was for.
    public var route: String?
    public var user: String?

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int = 200, contentType: String, body: String) {
        self.init(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { Response.sameName($0.name, name) }?.value
    }

    /// Adds a header, keeping any of the same name.
    public mutating func addHeader(_ name: String, _ value: String) { headers.append((name, value)) }

    /// Sets a header, replacing any of the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { Response.sameName($0.name, name) }
        headers.append((name, value))
    }

    /// Header names are ASCII and compared without regard to case (Foundation's
    /// caseInsensitiveCompare showed in profiles: every response looks up Content-Length).
    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// The CGI response head: a `Status:` line, the headers and the blank line. A header whose
    /// name or value holds a control character is left out whole: CR or LF would inject a header,
    /// and nginx answers 502 to a NUL, so no value that reached this far may carry one.
    func cgiHead() -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(512)
        head += "Status: \(status) \(Response.reasonPhrase(status))\r\n".utf8
        for (name, value) in headers where Self.isSafeHeader(name: name, value: value) {
            head += name.utf8
            head += ": ".utf8
            head += value.utf8
            head += "\r\n".utf8
        }
        if header("Content-Length") == nil, streamedBody == nil { head += "Content-Length: \(body.count)\r\n".utf8 }
        head += "\r\n".utf8
        return head
    }

    /// A name of visible ASCII without `:`; a value without control characters (tab allowed).
    static func isSafeHeader(name: String, value: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
            && value.utf8.allSatisfy { ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 402: return "Payment Required"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status \(status)"
        }
    }
}
