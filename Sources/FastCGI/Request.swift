// An HTTP request as nginx hands it over FastCGI: CGI params plus the body.

import Foundation

/// One HTTP request. Built from the FastCGI params (`REQUEST_METHOD`, `HTTP_*`, …) and the
/// request body, so it can be made in tests without a socket.
public struct Request: Sendable {
    /// Upper-case method, e.g. `GET`.
    public let method: String
    /// The path without the query string, still percent-encoded (e.g. `/generations/abc`).
    public let path: String
    /// The raw query string without `?` (empty when absent).
    public let queryString: String
    /// Request headers, names lower-cased with dashes (`HTTP_USER_AGENT` → `user-agent`),
    /// plus `content-type` and `content-length` which CGI passes without the prefix.
    public let headers: [String: String]
    /// Every FastCGI param as sent by the web server.
    public let params: [String: String]
    public let body: [UInt8]

    public init(params: [String: String], body: [UInt8] = []) {
        self.params = params
        self.body = body
        method = (params["REQUEST_METHOD"] ?? "GET").uppercased()
        let uri = params["REQUEST_URI"] ?? params["SCRIPT_NAME"] ?? "/"
        if let question = uri.firstIndex(of: "?") {
            path = String(uri[..<question])
        } else {
            path = uri.isEmpty ? "/" : uri
        }
        queryString = params["QUERY_STRING"] ?? ""
        headers = Request.headers(from: params)
    }

    private static func headers(from params: [String: String]) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in params where name.hasPrefix("HTTP_") {
            headers[headerName(cgi: name)] = value
        }
        // nginx sends these without the HTTP_ prefix, and as empty strings on GET.
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers["content-length"] = length }
        return headers
    }

    /// `HTTP_USER_AGENT` → `user-agent`, on bytes (every request has a dozen headers).
    private static func headerName(cgi name: String) -> String {
        String(decoding: name.utf8.dropFirst(5).map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "_"): return UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte + 32
            default: return byte
            }
        }, as: UTF8.self)
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The media type of the body without parameters, lower-cased (`application/json`).
    public var contentType: String {
        let raw = headers["content-type"] ?? ""
        let type = raw.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The client's address as nginx saw it.
    public var remoteAddress: String { params["REMOTE_ADDR"] ?? "" }

    /// True when the client reached nginx over TLS (nginx sets `HTTPS=on`).
    public var isHTTPS: Bool {
        (params["HTTPS"] ?? "").lowercased() == "on" || params["REQUEST_SCHEME"] == "https"
    }

    /// Cookies from the `Cookie` header. The first occurrence of a name wins.
    public var cookies: [String: String] {
        guard let header = headers["cookie"] else { return [:] }
        var cookies: [String: String] = [:]
        // Split on bytes: `;` and `=` are ASCII, and Character-by-Character splitting showed in
        // profiles (every page reads the session cookie).
        for pair in header.utf8.split(separator: UInt8(ascii: ";")) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(Self.trimmingSpaces(Substring(pair[..<equals])))
            if !name.isEmpty, cookies[name] == nil {
                cookies[name] = String(Self.trimmingSpaces(Substring(pair[pair.index(after: equals)...])))
            }
        }
        return cookies
    }

    /// Without leading and trailing spaces and tabs, the only whitespace a Cookie header has.
    private static func trimmingSpaces(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return text[first...last]
    }

    /// The decoded query string. Malformed percent-encoding throws `FormError`.
    public func query() throws -> FormData { try FormData(urlEncoded: Array(queryString.utf8)) }

    /// The decoded `application/x-www-form-urlencoded` body.
    public func form() throws -> FormData {
        guard contentType == "application/x-www-form-urlencoded" else {
            throw FormError.unsupportedContentType(contentType)
        }
        return try FormData(urlEncoded: body)
    }
}
