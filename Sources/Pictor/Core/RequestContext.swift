// What a handler gets: the request, the app, path parameters and this thread's database.

import FastCGI
import Postgres

/// Per-request context handed to handlers.
public struct RequestContext {
    public let request: Request
    public let app: App
    /// Values captured by `{name}` segments of the route.
    public var parameters: [String: String]
    let database: DatabaseHandle

    /// Filled on first use (see RequestContext+Auth.swift).
    var loadedForm: FormData?
    var loadedSession: Session??
    /// Cookies the handler wants set, added to whatever response it returns.
    var responseCookies: [String] = []

    init(request: Request, app: App, database: DatabaseHandle) {
        self.request = request
        self.app = app
        self.parameters = [:]
        self.database = database
    }

    /// This thread's PostgreSQL connection, opened on first use.
    public func db() throws -> Connection { try database.connection() }

    /// The form body, decoded once.
    public mutating func form() throws -> FormData {
        if let loadedForm { return loadedForm }
        let form = try request.form()
        loadedForm = form
        return form
    }

    /// Renders a page with what the layout needs for this visitor: the user and their CSRF
    /// token when logged in. Pages with forms for logged-out visitors ask for
    /// `csrfToken()` themselves, so other pages set no cookie.
    public mutating func page(_ template: String, status: Int = 200, _ values: [String: Any]) throws -> Response {
        var values = values
        if let session = try session() {
            values["user"] = ["email": session.user.email, "credits": Format.number(session.user.credits)]
            values["csrf_token"] = session.csrfToken
        }
        return app.views.page(template, status: status, values)
    }
}

/// One PostgreSQL connection per request thread, opened lazily so a worker starts (and serves
/// pages that need no database) even while PostgreSQL is down.
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
