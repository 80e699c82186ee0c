// /healthz: a JSON liveness and database check for load balancers and monitoring.

import FastCGI
import Postgres

enum Health {
    static func register(in router: inout Router) {
        router.get("/healthz", healthz)
    }

    /// 200 when PostgreSQL answers, 503 otherwise (the worker keeps running and reconnects).
    @Sendable static func healthz(_ context: inout RequestContext) throws -> Response {
        do {
            try context.db().query("SELECT 1")
            return .json(["status": "ok", "database": "ok"])
        } catch {
            var response = Response.json(["status": "unavailable", "database": "unreachable"], status: 503)
            response.setHeader("Retry-After", "5")
            return response
        }
    }
}
