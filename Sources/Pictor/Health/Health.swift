// /healthz: a JSON liveness and database check for load balancers and monitoring.

import Postgres

enum Health {
    struct Status: Encodable, Sendable {
        let database: String
        let status: String
    }

    /// 200 when PostgreSQL answers, 503 otherwise (the worker keeps running and reconnects).
    @Sendable static func healthz(_ context: inout RequestContext) throws -> Reply {
        do {
            try context.db().query("SELECT 1")
            return .json(Status(database: "ok", status: "ok"))
        } catch {
            return Reply.json(Status(database: "unreachable", status: "unavailable"), status: 503).header("Retry-After", "5")
        }
    }
}
