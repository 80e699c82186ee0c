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
        abstract: "Run generation jobs (start one or more, on any host; SIGTERM finishes the jobs in flight and stops, SIGHUP reloads the config).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Seconds between housekeeping runs: purging expired sessions and ended rate-limit windows, and the Free plan's monthly credits (0: none in this process).")
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
        var loops: [Thread] = []
        var dispatching = startDispatching(config, logger: logger)
        let interval = housekeepingInterval
        let chores = Thread { BackgroundLoop(config: config, housekeepingInterval: interval, logger: logger).run(until: stopping) }
        chores.start()
        loops.append(chores)
        var signal: Int32 = 0
        while sigwait(&stopSignals, &signal) == 0, signal == SIGHUP {
            // Reload: the new config's dispatcher claims from now on; the old one claims no more
            // and lets its jobs in flight finish on their own threads.
            do {
                let fresh = try options.load()
                logger.info("worker \(getpid()) reloading \(fresh.source)")
                dispatching.stop.value.store(true, ordering: .releasing)
                loops.append(dispatching.thread)
                dispatching = startDispatching(fresh, logger: logger)
            } catch {
                logger.error("reload: \(error); keeping the current config")
            }
        }
        logger.info("worker \(getpid()) stopping: finishing the jobs in progress")
        stopping.store(true, ordering: .releasing)
        dispatching.stop.value.store(true, ordering: .releasing)
        loops.append(dispatching.thread)
        while loops.contains(where: { !$0.isFinished }) { usleep(50_000) }
        logger.info("worker \(getpid()) stopped")
    }

    /// Starts a dispatcher for `config` on a thread of its own.
    private func startDispatching(_ config: Config, logger: Logger) -> (thread: Thread, stop: StopFlag) {
        for notice in config.notices { logger.warning("\(notice)") }
        let limits = config.providers.map { "\($0.name) \($0.concurrency)" }.joined(separator: ", ")
        logger.info("worker \(getpid()) running jobs of \(config.models.map(\.name).joined(separator: ", ")); calls in flight at most: \(limits)")
        let dispatcher = JobDispatcher(config: config, workerID: "\(ProcessInfo.processInfo.hostName):\(getpid())", logger: logger)
        let stop = StopFlag()
        let thread = Thread { dispatcher.run(until: stop.value) }
        thread.start()
        return (thread, stop)
    }
}

/// A stop flag that can be handed to a thread and set later from another.
private final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

/// The worker's chores besides jobs, on one thread and one connection: the mail outbox every two
/// seconds (over SMTP, or into the log without `[smtp]`), and housekeeping (purges, the Free
/// plan's monthly credits) at start and then every `housekeepingInterval` seconds (0: never).
/// Every worker process runs one: each mail is claimed by one sender, Housekeeping lets one purge
/// at a time through, and the refill serves each account once.
private struct BackgroundLoop {
    let config: Config
    let housekeepingInterval: Int
    let logger: Logger
    static let mailInterval = 2.0

    func run(until stopping: borrowing Atomic<Bool>) {
        var db: Connection?
        var mailDue = Date(), housekeepingDue = Date()
        while !stopping.load(ordering: .acquiring) {
            let now = Date()
            if now >= mailDue || (housekeepingInterval > 0 && now >= housekeepingDue) {
                do {
                    let connection = try db ?? Connection(config.databaseURL)
                    db = connection
                    if now >= mailDue {
                        mailDue = now.addingTimeInterval(Self.mailInterval)
                        try sendMail(connection)
                    }
                    if housekeepingInterval > 0, now >= housekeepingDue {
                        housekeepingDue = now.addingTimeInterval(Double(housekeepingInterval))
                        try houseKeep(connection)
                    }
                } catch {
                    logger.error("worker chores: \(error); trying again shortly")
                    db?.close()
                    db = nil
                }
            }
            // Short naps, so a stop signal is noticed as quickly as by the job threads.
            usleep(250_000)
        }
        db?.close()
    }

    private func sendMail(_ db: Connection) throws {
        let result = try OutboxSender(db: db, mail: config.mail, logger: logger).sendDue()
        if result.sent > 0 { logger.info("mail: sent \(result.sent)") }
    }

    private func houseKeep(_ db: Connection) throws {
        if let purged = try Housekeeping(db: db).purgeExpired(), !purged.isEmpty {
            logger.info("housekeeping purged \(purged)")
        }
        let refill = try FreePlanRefill(db: db, billing: config.billing, onlyVerified: config.accounts.bonusAfterVerification).run()
        if refill.served > 0 { logger.info("Free plan: \(refill)") }
    }
}
