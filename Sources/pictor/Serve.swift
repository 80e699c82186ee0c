// `pictor serve`: binds the socket and runs the master that keeps the worker pool alive.

import ArgumentParser
import FastCGI
import Foundation
import Pictor

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI pool: a master process and its workers (SIGTERM stops, SIGHUP reloads).")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config: Config
        do { config = try options.load() } catch { fail("\(error)") }
        let logger = bootstrapLogging(level: config.server.logLevel, label: "pictor")
        // Fail now, in the terminal, rather than in every worker.
        let app: App
        do { app = try App(config: config, logger: logger) } catch { fail("\(error)") }

        try prepareSocketDirectory(config.server.listen)
        let listenFD: Int32
        do { listenFD = try Listener.open(config.server.listen, mode: config.server.listenMode) } catch { fail("\(error)") }
        logger.info("listening on \(config.server.listen) (config: \(config.source))")
        for notice in config.notices { logger.warning("\(notice)") }
        logger.info("models offered: \(config.models.map { "\($0.name) (\($0.provider))" }.joined(separator: ", "))")

        let executable = Self.executablePath()
        let configPath = options.resolvedPath()
        let supervisor = Supervisor(
            listenFD: listenFD,
            configuration: SupervisorConfiguration(workers: config.server.workers,
                                                   gracefulTimeout: config.server.gracefulTimeout),
            logger: logger,
            workerCommand: { [executable, "serve-worker"] + (configPath.map { ["--config", $0] } ?? []) },
            reloadConfiguration: {
                guard let fresh = try? options.load() else {
                    logger.error("reload: config has errors, keeping the current worker count")
                    return nil
                }
                return SupervisorConfiguration(workers: fresh.server.workers, gracefulTimeout: fresh.server.gracefulTimeout)
            },
            routes: app.routeLabels)
        supervisor.run()
        if Self.isUnixSocket(config.server.listen) { unlink(config.server.listen) }
    }

    /// The executable's path on disk, resolved once: a reload after a deploy starts the new binary.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func isUnixSocket(_ listen: String) -> Bool { listen.hasPrefix("/") || listen.hasPrefix(".") || listen.hasPrefix("unix:") }

    private func prepareSocketDirectory(_ listen: String) throws {
        guard Self.isUnixSocket(listen) else { return }
        let path = listen.hasPrefix("unix:") ? String(listen.dropFirst(5)) : listen
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
}

/// The worker process the master starts; not meant to be run by hand.
struct ServeWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-worker", abstract: "A worker of `pictor serve` (started by the master).", shouldDisplay: false)

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config: Config
        do { config = try options.load() } catch { fail("\(error)") }
        let logger = bootstrapLogging(level: config.server.logLevel, label: "pictor")
        let app: App
        do { app = try App(config: config, logger: logger) } catch { fail("\(error)") }
        let server = FastCGIServer(
            listenFD: Supervisor.workerListenFD,
            configuration: ServerConfiguration(threads: config.server.threads,
                                               maxRequests: config.server.maxRequests,
                                               maxBodyBytes: config.server.maxBodyBytes,
                                               accessLog: config.server.accessLog,
                                               drainSeconds: config.server.drainTimeout,
                                               slowRequestSeconds: config.server.slowRequest),
            logger: logger,
            makeResponder: { app.makeResponder() },
            onRecycle: { Supervisor.announceRecycling() },
            scoreboard: Scoreboard.workerSlot)
        watchMaster(server)
        server.run()
    }

    /// A worker whose master was killed outright (SIGKILL) stops instead of serving on alone.
    private func watchMaster(_ server: FastCGIServer) {
        let master = getppid()
        Thread.detachNewThread {
            while getppid() == master { sleep(1) }
            server.stop(reason: "master exited")
        }
    }
}
