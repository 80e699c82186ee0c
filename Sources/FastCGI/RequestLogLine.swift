// The pool's one line per request, in logfmt (key=value): easy to read, and to parse.

import Foundation

/// `method=GET path=/gallery status=200 ms=3.12 route="GET /gallery" user=42 request_id=…`:
/// the path without its query string (where tokens and search words travel), the route that
/// answered, the user it was for and the request id nginx's access log and the
/// `X-Request-ID` header carry, each left out when unknown.
struct RequestLogLine: CustomStringConvertible {
    let request: Request
    let response: Response
    let seconds: Double

    init(_ request: Request, _ response: Response, seconds: Double) {
        self.request = request
        self.response = response
        self.seconds = seconds
    }

    var description: String {
        var line = "method=\(Self.value(request.method)) path=\(Self.value(request.path)) status=\(response.status)"
        line += " ms=" + String(format: "%.2f", seconds * 1000)
        if let route = response.route { line += " route=" + Self.value(route) }
        if let user = response.user { line += " user=" + Self.value(user) }
        if let id = response.header("X-Request-ID") { line += " request_id=" + Self.value(id) }
        return line
    }

    /// Bare when it is printable ASCII without spaces, quotes or backslashes; else quoted, with
    /// quotes, backslashes and anything unprintable escaped, so one request is always one line.
    static func value(_ text: String) -> String {
        let plain = !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        guard !plain else { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f: quoted += String(format: "\\x%02x", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
