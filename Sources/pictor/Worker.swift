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
        abstract: "Run generation jobs (start one or more, on any host; SIGTERM finishes the current job and stops).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Jobs to run at once in this process (each with its own database connection).")
    var threads = 1

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
        logger.info("worker \(getpid()) starting \(threads) job thread(s)")
        let loops = (0..<max(1, threads)).map { index in
            let thread = Thread {
                JobLoop(config: config, workerID: "\(host):\(getpid()):\(index)", logger: logger).run(until: stopping)
            }
            thread.start()
            return thread
        }
        var signal: Int32 = 0
        sigwait(&stopSignals, &signal)
        logger.info("worker \(getpid()) stopping: finishing the jobs in progress")
        stopping.store(true, ordering: .releasing)
        while loops.contains(where: { !$0.isFinished }) { usleep(50_000) }
        logger.info("worker \(getpid()) stopped")
    }
}

/// One job thread: runs jobs back to back, and while the queue is empty sleeps on
/// LISTEN/NOTIFY (so a new job starts at once) with a short timeout (so a stop is noticed).
private struct JobLoop {
    let config: Config
    let workerID: String
    let logger: Logger

    func run(until stopping: borrowing Atomic<Bool>) {
        var session: (db: Connection, runner: JobRunner)?
        while !stopping.load(ordering: .acquiring) {
            do {
                if session == nil {
                    let db = try Connection(config.databaseURL)
                    session = (db, JobRunner(db: db, config: config, workerID: workerID, logger: logger))
                }
                let (db, runner) = session!
                while !stopping.load(ordering: .acquiring), try runner.runOnce() {}
                try db.listen(JobRunner.channel)
                _ = try db.waitForNotification(timeout: 1)
            } catch {
                logger.error("job loop: \(error); retrying in 1 s")
                sleep(1)
            }
        }
    }
}
