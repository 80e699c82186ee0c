// What /metrics and /status read from PostgreSQL: the counters sql/006's triggers keep, and the
// job queue and mail outbox as they are now.

import Postgres

struct OperationsStore {
    let db: Connection

    struct Counter {
        let name: String
        /// Already in Prometheus form (escaped by the database's metric_label).
        let labels: String
        let value: Double
    }

    /// The job queue and the outbox now (each count an index-only look at a partial index).
    struct Backlog: Encodable, Sendable {
        let queued: Int
        let running: Int
        let oldestQueuedSeconds: Double
        let mailPending: Int

        enum CodingKeys: String, CodingKey {
            case queued, running
            case oldestQueuedSeconds = "oldest_queued_seconds"
            case mailPending = "mail_pending"
        }
    }

    /// Every counter, its shards added up.
    func counters() throws -> [Counter] {
        try db.query("SELECT name, labels, sum(value) AS value FROM metric_counters GROUP BY name, labels ORDER BY name, labels")
            .map { Counter(name: try $0.get("name"), labels: try $0.get("labels"), value: try $0.get("value")) }
    }

    func backlog() throws -> Backlog {
        let row = try db.query("""
            SELECT (SELECT count(*) FROM generations WHERE status = 'queued') AS queued,
                   (SELECT count(*) FROM generations WHERE status = 'running') AS running,
                   (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
                      FROM generations WHERE status = 'queued') AS oldest,
                   (SELECT count(*) FROM email_outbox WHERE status = 'pending') AS mail_pending
            """)[0]
        return Backlog(queued: Int(try row.get("queued", as: Int64.self)), running: Int(try row.get("running", as: Int64.self)),
                       oldestQueuedSeconds: try row.get("oldest"), mailPending: Int(try row.get("mail_pending", as: Int64.self)))
    }
}
