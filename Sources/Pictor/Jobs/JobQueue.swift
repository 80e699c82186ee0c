// Claiming generation jobs from the PostgreSQL queue.

import Foundation
import Postgres

/// A job this worker claimed: the generation, how many times it has been claimed, and the
/// token that proves the claim is still ours when the job settles.
struct ClaimedJob: Sendable {
    let generation: Generation
    let attempts: Int
    /// `generations.claimed_by`: unique per claim, so a job reclaimed after its lease ran out
    /// (even by this same process) cannot be settled twice.
    let token: String
    /// The provider's own job id saved by an earlier attempt (PixelAPI), to resume polling.
    let providerJobID: String?
    /// The X-Request-ID of the request that asked for it, sent on to the provider.
    let requestID: String?
}

struct JobQueue {
    /// The channel to LISTEN on while the queue is empty (a NOTIFY comes with every new job).
    static let channel = GenerationStore.jobsChannel

    let db: Connection
    let policy: Config.GenerationPolicy

    /// Takes the oldest job whose lease ran out (its worker died), else the oldest queued one,
    /// leaving the jobs of `busyModels` (whose provider has no free slot here) to others.
    /// SKIP LOCKED lets any number of workers claim side by side without waiting on each other.
    func claim(skipping busyModels: [String], token: String) throws -> ClaimedJob? {
        for condition in ["g2.status = 'running' AND g2.lease_expires_at < now()", "g2.status = 'queued'"] {
            let rows = try db.query("""
                UPDATE generations g SET status = 'running', attempts = g.attempts + 1, started_at = now(),
                       lease_expires_at = now() + make_interval(secs => $1::float8), claimed_by = $2
                WHERE g.id = (SELECT g2.id FROM generations g2
                              WHERE \(condition) AND NOT g2.model = ANY(string_to_array($3, ','))
                              ORDER BY g2.created_at FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING \(Generation.columns), g.attempts, g.provider_job_id, g.request_id
                """, [policy.lease, token, busyModels.joined(separator: ",")])
            if let row = rows.first {
                return ClaimedJob(generation: try Generation(row: row), attempts: try row.get("attempts"),
                                  token: token, providerJobID: try row.get("provider_job_id"), requestID: try row.get("request_id"))
            }
        }
        return nil
    }
}
