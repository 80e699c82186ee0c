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
        if housekeepingInterval > 0 {
            let interval = housekeepingInterval
            let thread = Thread { HousekeepingLoop(config: config, interval: interval, logger: logger).run(until: stopping) }
            thread.start()
            loops.append(thread)
        }
        let mailThread = Thread { MailLoop(config: config, logger: logger).run(until: stopping) }
        mailThread.start()
        loops.append(mailThread)
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

/// Purges expired rows and gives Free accounts their monthly credits, at start and then every
/// `interval` seconds, on its own connection. Every worker process runs one; Housekeeping lets
/// one purge at a time through and the rest skip, and the refill serves each account once.
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
                    let refill = try FreePlanRefill(db: connection, billing: config.billing,
                                                    onlyVerified: config.accounts.bonusAfterVerification).run()
                    if refill.served > 0 { logger.info("Free plan: \(refill)") }
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

/// Sends the email outbox every two seconds, on its own connection: over SMTP, or into the log
/// when no `[smtp]` URL is configured. Mail is queued by the requests (in their transactions);
/// any number of workers may send, each mail is claimed by one.
private struct MailLoop {
    let config: Config
    let logger: Logger

    func run(until stopping: borrowing Atomic<Bool>) {
        var db: Connection?
        var due = Date()
        while !stopping.load(ordering: .acquiring) {
            if Date() >= due {
                due = Date().addingTimeInterval(2)
                do {
                    let connection = try db ?? Connection(config.databaseURL)
                    db = connection
                    let result = try OutboxSender(db: connection, mail: config.mail, logger: logger).sendDue()
                    if result.sent > 0 { logger.info("mail: sent \(result.sent)") }
                } catch {
                    logger.error("mail: \(error); trying again shortly")
                    db?.close()
                    db = nil
                }
            }
            usleep(250_000)
        }
        db?.close()
    }
}
