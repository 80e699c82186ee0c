// A minimal browser for end-to-end tests: keeps cookies, reads CSRF tokens, posts forms.

import Foundation
import HTTPClient

/// Talks to one Pictor through nginx the way a browser does (no redirects followed).
public final class Browser {
    public let base: String
    public private(set) var cookies: [String: String] = [:]
    let client = HTTPClient(connectTimeout: 2, timeout: 15)

    public init(base: String) { self.base = base }

    public func get(_ path: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try send(HTTPRequest(method: "GET", url: base + path, headers: headers))
    }

    /// Posts a form; `csrf` true adds the token found on `csrfFrom` (a page that shows the form).
    public func post(_ path: String, _ fields: [(String, String)], csrfFrom page: String? = nil) throws -> HTTPResponse {
        var fields = fields
        if let page { fields.append(("csrf_token", try csrfToken(on: page))) }
        let body = HTTPRequest.formEncoded(fields)
        return try send(HTTPRequest(method: "POST", url: base + path,
                                    headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8)))
    }

    /// Posts the same form `times` times in a row, with the CSRF token shown on `path`, and
    /// returns the statuses (for tests of per-address limits).
    public func statusesOfRepeatedPosts(_ path: String, _ fields: [(String, String)], times: Int) throws -> [Int] {
        let fields = fields + [("csrf_token", try csrfToken(on: path))]
        return try (0..<times).map { _ in try post(path, fields).status }
    }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var request = request
        if !cookies.isEmpty {
            request.headers.append(("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let response = try client.send(request)
        for header in response.headers(named: "set-cookie") { remember(header) }
        return response
    }

    /// The CSRF token in the first form of `path`.
    public func csrfToken(on path: String) throws -> String {
        let html = try get(path).text
        guard let range = html.range(of: #"name="csrf_token" value="([^"]+)""#, options: .regularExpression) else {
            throw CommandError(command: ["csrf token on \(path)"], status: -1, output: html)
        }
        let match = html[range]
        return String(match.dropFirst(#"name="csrf_token" value=""#.count).dropLast())
    }

    /// Posts the sign-up form (starting from the sign-up page, as a person would); returns its answer.
    public func submitSignUp(email: String, password: String = "correct horse battery") throws -> HTTPResponse {
        try post("/signup", [("email", email), ("password", password)], csrfFrom: "/signup")
    }

    /// Signs up, then logs in as the sign-up answer asks (sign-up alone starts no session);
    /// returns the login's response. Throws if sign-up did not give its usual answer.
    @discardableResult
    public func signUp(email: String, password: String = "correct horse battery") throws -> HTTPResponse {
        let answer = try submitSignUp(email: email, password: password)
        guard answer.status == 200 else {
            throw CommandError(command: ["sign up \(email)"], status: Int32(answer.status), output: answer.text)
        }
        return try logIn(email: email, password: password)
    }

    @discardableResult
    public func logIn(email: String, password: String = "correct horse battery") throws -> HTTPResponse {
        try post("/login", [("email", email), ("password", password)], csrfFrom: "/login")
    }

    public func setCookie(_ name: String, _ value: String?) { cookies[name] = value }

    /// Posts the generate form as a person would (from /generate) and follows its redirect to the
    /// workspace; returns the ids of the images the request made, in the page's order.
    public func generate(_ fields: [(String, String)]) throws -> [String] {
        let posted = try post("/generate", fields, csrfFrom: "/generate")
        guard posted.status == 303, let location = posted.header("location"), location.hasPrefix("/generate?batch=") else {
            throw CommandError(command: ["generate \(fields)"], status: Int32(posted.status), output: posted.text)
        }
        let page = try get(String(location.prefix { $0 != "#" })).text
        return page.matches(of: #/data-result="([0-9a-f-]{36})"/#).map { String($0.output.1) }
    }

    private func remember(_ header: String) {
        let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard pair.count == 2 else { return }
        let name = pair[0].trimmingCharacters(in: .whitespaces)
        let value = pair[1].trimmingCharacters(in: .whitespaces)
        if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
    }
}
