// Which kind of client a path serves, decided by its prefix in this one place: how its errors
// look and whether a session cookie counts there follow from it.

import FastCGI

/// The three faces of the app. Decided by path, not by route, because errors found before
/// routing (404, 405, a refused body) must already take the right shape.
enum Surface: Equatable, Sendable {
    /// HTML pages for browsers: the error page, or the login page for a 401.
    case pages
    /// The native JSON API (`/api/…`, `/healthz`): `{"error": {"code", "message"}}`.
    case api
    /// The OpenAI-compatible API (`/v1/…`): OpenAI's error shape, Bearer keys only.
    case openAI
    /// Signed deliveries from other services (`/webhooks/…`): the JSON envelope; the signature,
    /// not a cookie, is the authority.
    case webhooks

    init(_ request: Request) {
        let path = request.path
        if path.hasPrefix("/v1/") {
            self = .openAI
        } else if path.hasPrefix("/webhooks/") {
            self = .webhooks
        } else if path.hasPrefix("/api/") || path == "/healthz" {
            self = .api
        } else {
            // A page address asked for JSON (a script's fetch) gets the envelope, not HTML.
            let accept = request.header("accept") ?? ""
            self = accept.contains("application/json") && !accept.contains("text/html") ? .api : .pages
        }
    }

    /// Whether a session cookie may authenticate here. On the OpenAI-compatible API only a key
    /// does (as on OpenAI's), and on webhooks only a signature, so a cookie carries no authority
    /// there for CSRF to guard.
    var acceptsSessionCookie: Bool { self == .pages || self == .api }
}
