// GET /metrics: the whole pool and the business around it in Prometheus's text format.
// nginx lets only the addresses the operator allows reach it (nginx/site.conf.in).

import FastCGI
import Foundation

enum Metrics {
    @Sendable static func metrics(_ context: inout RequestContext) throws -> Reply {
        var page = PrometheusText()
        // Every worker reads the same shared scoreboard: any one answers for the pool.
        if let pool = Scoreboard.shared?.snapshot() { page.addPool(pool) }
        page.family("pictor_database_up", .gauge, "Whether PostgreSQL answered this scrape (the figures below come from it).")
        do {
            let store = OperationsStore(db: try context.db())
            let counters = try store.counters(), backlog = try store.backlog()
            page.sample("pictor_database_up", 1)
            page.addCounters(counters)
            page.addBacklog(backlog)
        } catch {
            page.sample("pictor_database_up", 0)
        }
        return Reply.document(Array(page.text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
            .header("Cache-Control", "no-store")
    }
}

extension PrometheusText {
    /// The families sql/006's triggers count, with what they mean; a counter the database has
    /// but this list lacks is still shown, as untyped help.
    private static let counterFamilies: [String: (kind: Kind, help: String)] = [
        "pictor_generations_requested_total": (.counter, "Images requested, by model."),
        "pictor_generations_total": (.counter, "Images finished, by model and outcome (succeeded, failed)."),
        "pictor_generation_seconds": (.histogram, "From a job worker claiming an image to its end (provider, thumbnails, storage), by model."),
        "pictor_credits_total": (.counter, "Credits moved by the ledger, by kind (usage: spent; refund; purchase; subscription; bonus; grant; revoke)."),
        "pictor_stripe_events_total": (.counter, "Stripe webhook events received, by type (each once)."),
        "pictor_emails_total": (.counter, "Emails by how they ended: sent, failed (given up), logged (no SMTP configured)."),
    ]

    mutating func addCounters(_ counters: [OperationsStore.Counter]) {
        for counter in counters {
            let family = Self.familyName(counter.name)
            let known = Self.counterFamilies[family] ?? (.counter, "Counted by the database.")
            self.family(family, known.kind, known.help)
            sample(counter.name, counter.labels, counter.value)
        }
    }

    mutating func addBacklog(_ backlog: OperationsStore.Backlog) {
        family("pictor_queue_depth", .gauge, "Images waiting for a job worker (queued) or being made (running).")
        sample("pictor_queue_depth", "status=\"queued\"", Double(backlog.queued))
        sample("pictor_queue_depth", "status=\"running\"", Double(backlog.running))
        family("pictor_queue_oldest_seconds", .gauge, "How long the oldest queued image has waited (0 when none waits).")
        sample("pictor_queue_oldest_seconds", backlog.oldestQueuedSeconds)
        family("pictor_email_outbox_pending", .gauge, "Emails waiting to be sent.")
        sample("pictor_email_outbox_pending", Double(backlog.mailPending))
    }

    /// A histogram's samples belong to the family without their suffix.
    private static func familyName(_ sample: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if counterFamilies[base]?.kind == .histogram { return base }
        }
        return sample
    }
}
