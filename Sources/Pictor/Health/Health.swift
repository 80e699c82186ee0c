// /healthz: a JSON liveness and database check for load balancers and monitoring.

import Postgres

enum Health {
    struct Status: Encodable, Sendable {
        let status: String
        let database: String
    }

    /// 200 when PostgreSQL answers, 503 otherwise (the worker keeps running and reconnects).
    @Sendable static func healthz(_ context: inout RequestContext) throws -> Reply {
        do {
            try context.db().query("SELECT 1")
            return .json(Status(status: "ok", database: "ok"))
        } catch {
            return Reply.json(Status(status: "unavailable", database: "unreachable"), status: 503).header("Retry-After", "5")
        }
    }
}
