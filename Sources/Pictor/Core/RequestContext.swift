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

    /// This thread's PostgreSQL connection, opened on first use.
    public func db() throws -> Connection { try database.connection() }
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
