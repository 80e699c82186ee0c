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
        for (name, value) in params {
            if name.hasPrefix("HTTP_") {
                headers[name.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")] = value
            }
        }
        // nginx sends these without the HTTP_ prefix, and as empty strings on GET.
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers["content-type"] = type }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers["content-length"] = length }
        return headers
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
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, cookies[name] == nil {
                cookies[name] = parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return cookies
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
