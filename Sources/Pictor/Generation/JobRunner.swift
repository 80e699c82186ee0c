// `pictor worker`'s job loop: claim a queued job, have its provider draw it, store the image
// and thumbnails, and settle: succeeded, or failed with the credits refunded.

import Foundation
import Imaging
import Logging
import Postgres

/// Runs generation jobs on one database connection (one per worker thread).
public final class JobRunner {
    /// The channel to LISTEN on while the queue is empty (a NOTIFY comes with every new job).
    public static let channel = GenerationStore.jobsChannel

    private let db: Connection
    private let config: Config
    private let media: any MediaStorage
    private let providers: [String: ImageProvider]
    private let workerID: String
    private let logger: Logger

    public init(db: Connection, config: Config, workerID: String, logger: Logger) {
        self.db = db
        self.config = config
        self.media = makeMediaStorage(config, logger: logger)
        self.workerID = workerID
        self.logger = logger
        var providers: [String: ImageProvider] = ["builtin": BuiltinProvider()]
        if let url = config.providers.a1111URL {
            providers["a1111"] = A1111Provider(baseURL: url, connectTimeout: config.providers.connectTimeout,
                                               timeout: Double(config.generation.jobTimeout))
        }
        self.providers = providers
    }

    /// A claimed job: the generation plus how many times it has been claimed.
    struct Job {
        let generation: Generation
        let attempts: Int
    }

    /// Runs one job if there is one; false when the queue is empty.
    public func runOnce() throws -> Bool {
        guard let job = try claim() else { return false }
        let generation = job.generation
        if job.attempts > config.generation.maxAttempts {
            try fail(generation, reason: "The image could not be made: its worker stopped \(job.attempts - 1) times.")
            return true
        }
        logger.info("job \(generation.id) claimed (\(generation.model), attempt \(job.attempts))")
        var written: [String] = []
        do {
            let stored = try produce(generation, written: &written)
            if try complete(generation, stored) {
                logger.info("job \(generation.id) succeeded")
            } else {
                // Reclaimed by another worker after our lease ran out, or deleted meanwhile.
                media.delete(written)
                logger.warning("job \(generation.id) finished but is no longer ours; its files were removed")
            }
        } catch {
            media.delete(written)
            let reason = Self.publicReason(error)
            logger.warning("job \(generation.id) failed: \(error)")
            try fail(generation, reason: reason)
        }
        return true
    }

    /// Takes the oldest job whose lease ran out (its worker died), else the oldest queued one.
    /// SKIP LOCKED lets any number of workers claim side by side without waiting on each other.
    func claim() throws -> Job? {
        for condition in ["g2.status = 'running' AND g2.lease_expires_at < now()", "g2.status = 'queued'"] {
            let rows = try db.query("""
                UPDATE generations g SET status = 'running', attempts = g.attempts + 1, started_at = now(),
                       lease_expires_at = now() + make_interval(secs => $1::float8), claimed_by = $2
                WHERE g.id = (SELECT g2.id FROM generations g2 WHERE \(condition)
                              ORDER BY g2.created_at FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING \(Generation.columns), g.attempts
                """, [config.generation.lease, workerID])
            if let row = rows.first { return Job(generation: try Generation(row: row), attempts: try row.get("attempts")) }
        }
        return nil
    }

    struct StoredImage {
        let imageKey: String
        let thumbKey: String
        let thumbLargeKey: String
        let contentType: String
    }

    /// Draws, checks, upscales if the model says so, makes thumbnails, writes the files.
    private func produce(_ generation: Generation, written: inout [String]) throws -> StoredImage {
        guard let provider = providers[generation.provider],
              let model = config.models.first(where: { $0.name == generation.model }) else {
            throw ProviderError(reason: "The model \(generation.model) is no longer configured.")
        }
        var bytes = try provider.generate(ProviderRequest(
            prompt: generation.prompt, negativePrompt: generation.negativePrompt, providerModel: generation.model,
            width: generation.width, height: generation.height, seed: UInt32(truncatingIfNeeded: generation.seed),
            steps: model.defaultSteps, deadline: Date().addingTimeInterval(Double(config.generation.jobTimeout))))
        var format: String
        do {
            format = try Thumbnailer.inspect(bytes).format
        } catch {
            throw ProviderError.notAnImage
        }
        if model.upscale {
            let upscaled = try Thumbnailer.upscale2x(bytes)
            bytes = upscaled.bytes
            format = upscaled.fileExtension
        }
        let thumbnails = try Thumbnailer.thumbnails(of: bytes, longSides: [256, 512])
        let base = MediaKey.new()
        let (fileExtension, contentType) = Self.fileType(format)
        let stored = StoredImage(imageKey: "\(base).\(fileExtension)", thumbKey: "\(base)-256.\(thumbnails[0].fileExtension)",
                                 thumbLargeKey: "\(base)-512.\(thumbnails[1].fileExtension)", contentType: contentType)
        do {
            for (key, data) in [(stored.imageKey, bytes), (stored.thumbKey, thumbnails[0].bytes), (stored.thumbLargeKey, thumbnails[1].bytes)] {
                try media.write(data, key: key, isPublic: generation.isPublic, contentType: MediaKey.contentType(of: key))
                written.append(key)
            }
        } catch {
            throw StorageFailure(underlying: error)
        }
        return stored
    }

    /// Marks the job succeeded if it is still ours; false otherwise. The row is locked while
    /// the files are placed on the side its flag says now (the owner may have published or
    /// unpublished it while it ran), so a concurrent publish waits and then moves them itself.
    private func complete(_ generation: Generation, _ stored: StoredImage) throws -> Bool {
        try db.transaction { db in
            guard let row = try db.query("""
                SELECT public FROM generations WHERE id = $1 AND claimed_by = $2 AND status = 'running' FOR UPDATE
                """, [generation.id, workerID]).first else { return false }
            let keys = [stored.imageKey, stored.thumbKey, stored.thumbLargeKey]
            let missing = try media.place(keys, isPublic: try row.get("public"))
            guard missing.isEmpty else { throw StorageFailure(underlying: MediaError("stored files vanished: \(missing)")) }
            try db.query("""
                UPDATE generations SET status = 'succeeded', image_key = $2, thumb_key = $3, thumb_large_key = $4,
                       content_type = $5, completed_at = now(), lease_expires_at = NULL, error = NULL
                WHERE id = $1
                """, [generation.id, stored.imageKey, stored.thumbKey, stored.thumbLargeKey, stored.contentType])
            return true
        }
    }

    /// Marks the job failed and refunds it, in one transaction; the unique refund index makes
    /// a second refund impossible even if two workers both try.
    private func fail(_ generation: Generation, reason: String) throws {
        try db.transaction { db in
            let updated = try db.query("""
                UPDATE generations SET status = 'failed', error = $3, completed_at = now(), lease_expires_at = NULL
                WHERE id = $1 AND claimed_by = $2 AND status = 'running'
                """, [generation.id, workerID, reason]).affectedRows
            if updated == 1 { try Ledger(db: db).refund(generation, reason: "refund: " + reason) }
        }
    }

    static func fileType(_ format: String) -> (String, String) {
        switch format.lowercased() {
        case "jpeg", "jpg": return ("jpg", "image/jpeg")
        case "webp": return ("webp", "image/webp")
        default: return ("png", "image/png")
        }
    }

    /// What the user is told; details stay in the log.
    static func publicReason(_ error: Error) -> String {
        switch error {
        case let provider as ProviderError: return provider.reason
        case is StorageFailure: return "The image could not be stored. Your credits were refunded."
        case is ImagingError: return "The image could not be processed."
        default: return "The image could not be made."
        }
    }
}

struct StorageFailure: Error, CustomStringConvertible {
    let underlying: Error
    var description: String { "storage: \(underlying)" }
}
