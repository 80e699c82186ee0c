// Settling jobs: succeeded with their files in place, or failed with the credits refunded.
// A few threads, each owning one PostgreSQL connection, take outcomes from a queue, so any
// number of jobs in flight share those connections.

import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization

/// What became of a job, or of a step of it worth saving at once.
enum JobOutcome: Sendable {
    /// The provider accepted the job under this id: saved so that a job reclaimed after a crash
    /// resumes polling instead of paying for the image twice.
    case accepted(providerJobID: String)
    case succeeded(StoredImage)
    /// `written`: files to remove; `reason`: what the user is told.
    case failed(reason: String, written: [String])
}

final class JobSettler: Sendable {
    private let databaseURL: String
    private let media: any MediaStorage
    private let logger: Logger
    private let queue = Mutex<[(job: ClaimedJob, outcome: JobOutcome)]>([])
    /// Counts queued outcomes; a settling thread takes one per signal.
    private let pending = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Int>(0)

    init(databaseURL: String, media: any MediaStorage, logger: Logger) {
        self.databaseURL = databaseURL
        self.media = media
        self.logger = logger
    }

    /// Starts `threads` settling threads (one connection each).
    func start(threads: Int) {
        for _ in 0..<threads {
            running.add(1, ordering: .relaxed)
            Thread { [self] in
                settleUntilStopped()
                running.subtract(1, ordering: .releasing)
            }.start()
        }
    }

    func settle(_ job: ClaimedJob, _ outcome: JobOutcome) {
        queue.withLock { $0.append((job, outcome)) }
        pending.signal()
    }

    /// Settles what is queued, then ends the threads.
    func stop() {
        stopping.store(true, ordering: .releasing)
        for _ in 0..<running.load(ordering: .acquiring) { pending.signal() }
        while running.load(ordering: .acquiring) > 0 { usleep(10_000) }
    }

    private func settleUntilStopped() {
        var db: Connection?
        while true {
            pending.wait()
            guard let (job, outcome) = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                if stopping.load(ordering: .acquiring) { break }
                continue
            }
            // A settlement that cannot reach the database is retried: the job stays claimed
            // meanwhile, and if this process dies its lease runs out and it runs again.
            while true {
                do {
                    let connection = try db ?? Connection(databaseURL)
                    db = connection
                    try apply(outcome, to: job, db: connection)
                    break
                } catch {
                    logger.error("job \(job.generation.id): could not settle (\(error)); retrying in 1 s")
                    db?.close()
                    db = nil
                    sleep(1)
                }
            }
        }
        db?.close()
    }

    private func apply(_ outcome: JobOutcome, to job: ClaimedJob, db: Connection) throws {
        let id = job.generation.id
        switch outcome {
        case .accepted(let providerJobID):
            try db.query("UPDATE generations SET provider_job_id = $3 WHERE id = $1 AND claimed_by = $2",
                         [id, job.token, providerJobID])
        case .succeeded(let stored):
            switch try complete(job, stored, db: db) {
            case .succeeded: logger.info("job \(id) succeeded")
            case .filesMissing: media.delete(stored.keys)
            case .notOurs:
                // Reclaimed by another worker after our lease ran out, or deleted meanwhile.
                media.delete(stored.keys)
                logger.warning("job \(id) finished but is no longer ours; its files were removed")
            }
        case .failed(let reason, let written):
            media.delete(written)
            try fail(job, reason: reason, db: db)
        }
    }

    private enum Completion { case succeeded, notOurs, filesMissing }

    /// Marks the job succeeded if it is still ours. The row is locked while the files are placed
    /// on the side its flag says now (the owner may have published or unpublished it while it
    /// ran), so a concurrent publish waits and then moves them itself.
    private func complete(_ job: ClaimedJob, _ stored: StoredImage, db: Connection) throws -> Completion {
        try db.transaction { db in
            guard let row = try db.query("""
                SELECT public FROM generations WHERE id = $1 AND claimed_by = $2 AND status = 'running' FOR UPDATE
                """, [job.generation.id, job.token]).first else { return .notOurs }
            let missing = try media.place(stored.keys, isPublic: try row.get("public"))
            guard missing.isEmpty else {
                // Failed and refunded in this same transaction rather than left as a broken image.
                logger.error("job \(job.generation.id): stored files vanished: \(missing)")
                try markFailed(job, reason: ImageJob.publicReason(StorageFailure(underlying: MediaError("vanished"))), db: db)
                return .filesMissing
            }
            try db.query("""
                UPDATE generations SET status = 'succeeded', image_key = $2, thumb_key = $3, thumb_large_key = $4,
                       content_type = $5, image_width = $6, image_height = $7, completed_at = now(),
                       lease_expires_at = NULL, error = NULL
                WHERE id = $1
                """, [job.generation.id, stored.imageKey, stored.thumbKey, stored.thumbLargeKey, stored.contentType,
                      stored.width, stored.height])
            return .succeeded
        }
    }

    /// Marks the job failed and refunds it, in one transaction; the unique refund index makes
    /// a second refund impossible even if two workers both try.
    func fail(_ job: ClaimedJob, reason: String, db: Connection) throws {
        try db.transaction { db in try markFailed(job, reason: reason, db: db) }
    }

    private func markFailed(_ job: ClaimedJob, reason: String, db: Connection) throws {
        let updated = try db.query("""
            UPDATE generations SET status = 'failed', error = $3, completed_at = now(), lease_expires_at = NULL
            WHERE id = $1 AND claimed_by = $2 AND status = 'running'
            """, [job.generation.id, job.token, reason]).affectedRows
        if updated == 1 {
            try Ledger(db: db).refund(job.generation, reason: "refund: " + reason)
            logger.warning("job \(job.generation.id) failed: \(reason)")
        }
    }
}
