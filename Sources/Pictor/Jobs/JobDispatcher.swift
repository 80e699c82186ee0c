// `pictor worker`'s engine: claims jobs while their provider has a free slot and runs each on
// its own thread, so one process keeps many slow provider calls in flight on a handful of
// PostgreSQL connections (one to claim and LISTEN, a few to settle).

import Foundation
import Logging
import Postgres
import Synchronization

public final class JobDispatcher: Sendable {
    /// Connections used to settle jobs (claims and LISTEN use one more; housekeeping another).
    public static let settlingConnections = 2

    private let config: Config
    private let logger: Logger
    private let workerID: String
    private let media: any MediaStorage
    /// By provider name (`[provider.NAME]`).
    private let providers: [String: ProviderSlot]
    private let settler: JobSettler
    /// Written to by a job thread that frees a slot, so the claiming thread wakes at once.
    private let wakeup = Wakeup()

    /// A provider and how many of its calls are in flight here.
    private final class ProviderSlot: Sendable {
        let provider: any ImageProvider
        let concurrency: Int
        let inFlight = Atomic<Int>(0)
        init(_ settings: ProviderSettings) {
            provider = Providers.make(settings)
            concurrency = settings.concurrency
        }
        var isFull: Bool { inFlight.load(ordering: .acquiring) >= concurrency }
    }

    public init(config: Config, workerID: String, logger: Logger) {
        self.config = config
        self.logger = logger
        self.workerID = workerID
        media = makeMediaStorage(config, logger: logger)
        providers = Dictionary(uniqueKeysWithValues: config.providers.map { ($0.name, ProviderSlot($0)) })
        settler = JobSettler(databaseURL: config.databaseURL, media: media, logger: logger)
    }

    /// Claims and runs jobs until `stopping` is set, then lets the jobs in flight finish.
    public func run(until stopping: borrowing Atomic<Bool>) {
        settler.start(threads: Self.settlingConnections)
        var db: Connection?
        while !stopping.load(ordering: .acquiring) {
            do {
                let connection = try db ?? Self.listeningConnection(config.databaseURL)
                db = connection
                if try !claimAndStart(db: connection) {
                    // Nothing to claim for a free provider: sleep until a job is queued, a slot
                    // frees up, or a second passes (leases run out, stop signals).
                    _ = try connection.waitForNotification(timeout: 1, alsoWakingOn: wakeup.descriptor)
                    wakeup.drain()
                }
            } catch {
                logger.error("job dispatcher: \(error); retrying in 1 s")
                db?.close()
                db = nil
                sleep(1)
            }
        }
        db?.close()
        while providers.values.contains(where: { $0.inFlight.load(ordering: .acquiring) > 0 }) { usleep(50_000) }
        settler.stop()
    }

    private static func listeningConnection(_ url: String) throws -> Connection {
        let connection = try Connection(url)
        try connection.listen(JobQueue.channel)
        return connection
    }

    /// Claims one job whose provider has a free slot and starts it; false when there is none.
    private func claimAndStart(db: Connection) throws -> Bool {
        let busy = config.models.filter { providers[$0.provider]?.isFull ?? false }.map(\.name)
        // With every provider full nothing is claimed, not even a job of a model no longer
        // configured (it is failed and refunded once a slot frees).
        guard busy.count < config.models.count else { return false }
        let token = "\(workerID):\(UUID().uuidString.prefix(8).lowercased())"
        guard let job = try JobQueue(db: db, policy: config.generation).claim(skipping: busy, token: token) else {
            return false
        }
        start(job)
        return true
    }

    private func start(_ claimed: ClaimedJob) {
        let generation = claimed.generation
        let model = config.models.first { $0.name == generation.model }
        let slot = model.flatMap { providers[$0.provider] }
        slot?.inFlight.add(1, ordering: .acquiring)
        if claimed.attempts > config.generation.maxAttempts {
            slot?.inFlight.subtract(1, ordering: .releasing)
            settler.settle(claimed, .failed(reason: "The image could not be made: its worker stopped \(claimed.attempts - 1) times. Your credits were returned.", written: []))
            return
        }
        logger.info("job \(generation.id) claimed (\(generation.model), attempt \(claimed.attempts))")
        let job = ImageJob(job: claimed, model: model, provider: slot?.provider, media: media, site: config.site.name,
                           deadline: Date().addingTimeInterval(Double(config.generation.jobTimeout)))
        Thread { [self] in
            var written: [String] = []
            let outcome: JobOutcome
            do {
                let stored = try job.run(written: &written) { [settler] id in settler.settle(claimed, .accepted(providerJobID: id)) }
                outcome = .succeeded(stored)
            } catch {
                logger.warning("job \(generation.id): \(error)")
                outcome = .failed(reason: ImageJob.publicReason(error), written: written)
            }
            settler.settle(claimed, outcome)
            slot?.inFlight.subtract(1, ordering: .releasing)
            wakeup.signal()
        }.start()
    }
}

/// A pipe one thread polls and others write a byte to, to wake it.
struct Wakeup: Sendable {
    private let read: Int32
    private let write: Int32

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe failed")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        (read, write) = (fds[0], fds[1])
    }

    var descriptor: Int32 { read }

    /// Never blocks: a full pipe already wakes the reader.
    func signal() {
        var byte: UInt8 = 1
        _ = Foundation.write(write, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Foundation.read(read, &buffer, buffer.count) > 0 {}
    }
}
