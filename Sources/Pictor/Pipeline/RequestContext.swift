// What a handler gets: the request, the app, path parameters, the credential and this
// thread's database connection.

import FastCGI
import Postgres

/// Per-request context handed along the pipeline to the handler.
struct RequestContext {
    let request: Request
    let app: App
    /// The request's cookies, parsed once (the session's is read by several steps).
    let cookies: [String: String]
    /// Set by RequestIDMiddleware.
    var requestID = ""
    /// Set by AuthenticationMiddleware; checked against the database on first use.
    var credential = Credential.none
    /// The route RoutingMiddleware found; its handler answers.
    var route: Route?
    /// The user the request turned out to be for (session or API key), for the request log.
    var knownUserID: Int64?
    /// Values captured by `{name}` segments of the route.
    var parameters: [String: String] = [:]
    let database: DatabaseHandle

    /// Filled on first use (see RequestContext+Auth.swift).
    var loadedForm: FormData?
    var loadedSession: Session??
    /// Cookies to set on whatever reply goes out.
    var responseCookies: [String] = []

    init(request: Request, app: App, database: DatabaseHandle) {
        self.request = request
        self.app = app
        cookies = request.cookies
        self.database = database
    }

    /// This thread's PostgreSQL connection, opened on first use.
    func db() throws -> Connection { try database.connection() }

    /// The form body, decoded once.
    mutating func form() throws -> FormData {
        if let loadedForm { return loadedForm }
        let form = try request.form()
        loadedForm = form
        return form
    }

    /// The query string, decoded (malformed encoding is a 400).
    func query() throws -> FormData { try request.query() }
}

/// One PostgreSQL connection per request thread, opened lazily so a worker starts (and serves
/// pages that need no database) even while PostgreSQL is down. Only its own thread uses it.
final class DatabaseHandle {
    private let url: String
    private var open: Connection?

    init(url: String) { self.url = url }

    func connection() throws -> Connection {
        if let open { return open }
        let connection = try Connection(url)
        open = connection
        return connection
    }
}
