// The one place a reply becomes bytes: pages inside the layout, JSON, redirects, X-Accel.

import Codecs
import Crypto
import FastCGI
import Foundation

extension Reply {
    /// The response for this reply, with the cookies the request wants set. Pages show the
    /// visitor's header: signed in or not, whatever the page (404 and 500 included).
    func response(_ context: inout RequestContext) -> Response {
        var response: Response
        switch body {
        case .page(let page):
            // A database that fails here leaves the header signed out rather than the page unsent.
            let viewer = (try? context.session()) ?? nil
            response = context.app.views.render(page, status: status, viewer: viewer, notice: context.takeNotice())
        case .json(let value):
            response = .json(value, status: status)
        case .redirect(let location):
            response = Response(status: status, headers: [("Location", location), ("Cache-Control", "no-store")])
        case .accel(let uri):
            response = Response(status: status, headers: [("X-Accel-Redirect", uri)])
        case .document(let bytes, let contentType):
            response = Response(status: status, headers: [("Content-Type", contentType)], body: bytes)
        case .empty:
            response = Response(status: status)
        case .stream(let contentType, let produce):
            response = Response(status: status, headers: [("Content-Type", contentType)])
            response.streamedBody = produce
        }
        for (name, value) in headers { response.setHeader(name, value) }
        if validated, response.status == 200 { response = Self.conditional(response, ifNoneMatch: context.request.header("if-none-match")) }
        if !context.requestID.isEmpty { response.setHeader("X-Request-ID", context.requestID) }
        for cookie in context.responseCookies { response.addHeader("Set-Cookie", cookie) }
        response.route = context.route.map { $0.method + " " + $0.pattern }
        response.user = context.knownUserID.map(String.init)
        return response
    }
}

extension Reply {
    /// The response with a strong ETag of its body (SHA-256), or 304 without the body when
    /// `If-None-Match` names that tag (or is `*`).
    static func conditional(_ response: Response, ifNoneMatch: String?) -> Response {
        var response = response
        let tag = "\"" + Hex.encode(Array(Crypto.sha256(response.body).prefix(16))) + "\""
        response.setHeader("ETag", tag)
        let named = ifNoneMatch?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        guard named.contains(tag) || named.contains("W/" + tag) || named.contains("*") else { return response }
        var notModified = Response(status: 304, headers: response.headers.filter { $0.name.lowercased() != "content-type" })
        notModified.setHeader("ETag", tag)
        return notModified
    }
}

extension Response {
    /// A JSON response from an Encodable value; never cached (answers are per caller).
    static func json(_ value: any Encodable, status: Int = 200) -> Response {
        let headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        // Only a non-finite Double could fail to encode, and no API value is one.
        guard let body = try? JSONWriter.encode(value) else {
            return Response(status: 500, headers: headers, body: (try? JSONWriter.encode(ErrorEnvelope(.internalError))) ?? [])
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The Content-Security-Policy of every page: no inline script or style, nothing from
    /// other origins, never framed. Forms post only to this site, and may be sent on from
    /// there only to `formTargets` (browsers hold a form's redirects to `form-action` too): the
    /// sign-in providers' consent pages and Stripe's hosted pages.
    static func contentSecurityPolicy(formTargets: [String] = []) -> String {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
            + "form-action " + (["'self'"] + formTargets).joined(separator: " ") + "; frame-ancestors 'none'"
    }

    /// An HTML response with the page-specific security headers (nginx adds `nosniff` and
    /// `Referrer-Policy` to every response).
    static func html(_ html: [UInt8], status: Int = 200, contentSecurityPolicy: String = contentSecurityPolicy()) -> Response {
        Response(status: status, headers: [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("Cache-Control", "no-cache"),
        ], body: html)
    }
}
