// The one place state-changing requests are checked for a CSRF token.

import Crypto
import FastCGI

/// Every POST/PUT/PATCH/DELETE must prove it came from this site's own pages:
/// - forms carry `csrf_token` (the session's, or the anonymous cookie's before login);
/// - API calls made with the session cookie send it as `X-CSRF-Token`;
/// - API calls with a Bearer key need none (no ambient authority to abuse), nor does the
///   OpenAI-compatible API, which accepts nothing but keys.
/// A failure is a 403 before the handler runs, so nothing changes.
struct CSRFMiddleware: Middleware {
    func handle(_ context: inout RequestContext, next: Next) throws -> Reply {
        try verify(&context)
        return try next(&context)
    }

    private func verify(_ context: inout RequestContext) throws {
        let request = context.request
        guard !["GET", "HEAD", "OPTIONS"].contains(request.method) else { return }
        // Only a key authenticates there: a cookie riding along has no authority to abuse.
        guard Surface(request).acceptsSessionCookie else { return }

        if request.path.hasPrefix("/api/") {
            // A key (or a malformed Authorization header, which the handler answers with 401).
            if request.header("authorization") != nil { return }
            guard let session = try context.session() else { return }   // the handler answers 401
            try Self.require(request.header("x-csrf-token"), equals: session.csrfToken)
            return
        }

        var sent = request.header("x-csrf-token")
        if sent == nil, request.contentType == "application/x-www-form-urlencoded" {
            sent = try context.form()["csrf_token"]
        }
        let expected = try context.session()?.csrfToken ?? context.cookies[RequestContext.anonymousCSRFCookie]
        try Self.require(sent, equals: expected)
    }

    private static func require(_ sent: String?, equals expected: String?) throws {
        guard let sent, let expected, !expected.isEmpty,
              Crypto.constantTimeEquals(Array(sent.utf8), Array(expected.utf8)) else {
            throw HTTPError(403, code: "forbidden",
                            message: "This form has expired or did not come from this site. Reload the page and try again.")
        }
    }
}
