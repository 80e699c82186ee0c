// `pictor worker`: runs generation jobs from the PostgreSQL queue until SIGTERM/SIGINT.

import ArgumentParser
import Foundation
import Imaging
import Logging
import Pictor
import Postgres
import Synchronization

struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run generation jobs (start one or more, on any host; SIGTERM finishes the jobs in flight and stops).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Seconds between purges of expired sessions and ended rate-limit windows (0: none in this process).")
    var housekeepingInterval = 300

    func validate() throws {
        guard housekeepingInterval >= 0 else { throw ValidationError("--housekeeping-interval cannot be negative") }
    }

    func run() throws {
        let config: Config
        do { config = try options.load() } catch { fail("\(error)") }
        let logger = bootstrapLogging(level: config.server.logLevel, label: "pictor-worker")
        Imaging.setUp()
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&stopSignals, signal) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let stopping = Atomic<Bool>(false)
        let host = ProcessInfo.processInfo.hostName
        for notice in config.notices { logger.warning("\(notice)") }
        let limits = config.providers.map { "\($0.name) \($0.concurrency)" }.joined(separator: ", ")
        logger.info("worker \(getpid()) starting: calls in flight at most \(limits)")
        let dispatcher = JobDispatcher(config: config, workerID: "\(host):\(getpid())", logger: logger)
        var loops = [Thread { dispatcher.run(until: stopping) }]
        loops[0].start()
        if housekeepingInterval > 0 {
            let interval = housekeepingInterval
            let thread = Thread { HousekeepingLoop(config: config, interval: interval, logger: logger).run(until: stopping) }
            thread.start()
            loops.append(thread)
        }
        var signal: Int32 = 0
        sigwait(&stopSignals, &signal)
        logger.info("worker \(getpid()) stopping: finishing the jobs in progress")
        stopping.store(true, ordering: .releasing)
        while loops.contains(where: { !$0.isFinished }) { usleep(50_000) }
        logger.info("worker \(getpid()) stopped")
    }
}

/// Purges expired rows at start and then every `interval` seconds, on its own connection. Every
/// worker process runs one; Housekeeping lets one purge at a time through and the rest skip.
private struct HousekeepingLoop {
    let config: Config
    let interval: Int
    let logger: Logger

    func run(until stopping: borrowing Atomic<Bool>) {
        var db: Connection?
        var due = Date()
        while !stopping.load(ordering: .acquiring) {
            if Date() >= due {
                due = Date().addingTimeInterval(Double(interval))
                do {
                    let connection = try db ?? Connection(config.databaseURL)
                    db = connection
                    if let purged = try Housekeeping(db: connection).purgeExpired(), !purged.isEmpty {
                        logger.info("housekeeping purged \(purged)")
                    }
                } catch {
                    logger.error("housekeeping: \(error); trying again in \(interval) s")
                    db?.close()
                    db = nil
                }
            }
            // Short naps, so a stop signal is noticed as quickly as by the job threads.
            usleep(250_000)
        }
        db?.close()
    }
}
