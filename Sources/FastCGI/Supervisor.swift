// The master process: keeps N worker processes serving one listen socket, php-fpm style.

import Foundation
import Logging

public struct SupervisorConfiguration: Sendable {
    /// Worker processes to keep alive.
    public var workers: Int
    /// How long a stopping worker may take to finish its requests before SIGKILL.
    public var gracefulTimeout: Double

    public init(workers: Int = 2, gracefulTimeout: Double = 30) {
        self.workers = workers
        self.gracefulTimeout = gracefulTimeout
    }
}

/// Starts worker processes that inherit the listen socket as file descriptor 3, restarts
/// any that exit, and handles the signals sysadmins send to the master:
/// SIGTERM/SIGINT/SIGQUIT stop gracefully; SIGHUP reloads (new workers start from the
/// executable on disk, old ones drain).
///
/// A worker that recycles tells the master first (`announceRecycling()`), so its replacement
/// starts while it drains rather than after it has left: the pool never runs a worker short.
public final class Supervisor {
    /// The descriptor a worker finds the listen socket on.
    public static let workerListenFD: Int32 = 3
    /// The descriptor a worker writes its pid to when it begins to recycle (a pipe to the master).
    static let workerNoticeFD: Int32 = 4

    private let listenFD: Int32
    private var configuration: SupervisorConfiguration
    private let logger: Logger
    private let workerCommand: () -> [String]
    private let reloadConfiguration: () -> SupervisorConfiguration?

    private struct Worker {
        let generation: Int
        let started: Date
        var stopDeadline: Date?
        /// Its slot in the scoreboard, freed when it exits.
        let slot: Int?
    }
    private var workers: [pid_t: Worker] = [:]
    private var generation = 0
    private var stopping = false
    private var restartBackoff = 0.0
    private var pendingStarts: [Date] = []
    /// The master's end of the pipe workers announce their recycling on, and theirs.
    private var noticeRead: Int32 = -1, noticeWrite: Int32 = -1
    /// The routes the workers count requests by, for the scoreboard made at start.
    private let routes: [String]
    private var scoreboard: Scoreboard?
    /// Room for every worker of a pool of 256 (the most server.workers allows) and as many draining.
    static let scoreboardSlots = 512

    /// - Parameters:
    ///   - workerCommand: the argv of a worker (argv[0] is the executable path), asked anew at
    ///     every start so a reload runs the binary that is on disk now.
    ///   - reloadConfiguration: read again on SIGHUP; nil keeps the current one.
    ///   - routes: the labels workers count requests by in the scoreboard (`Response.route`).
    public init(listenFD: Int32, configuration: SupervisorConfiguration, logger: Logger,
                workerCommand: @escaping () -> [String],
                reloadConfiguration: @escaping () -> SupervisorConfiguration? = { nil },
                routes: [String] = []) {
        self.routes = routes
        self.listenFD = listenFD
        self.configuration = configuration
        self.logger = logger
        self.workerCommand = workerCommand
        self.reloadConfiguration = reloadConfiguration
    }

    /// Runs until stopped by a signal; returns once every worker has exited.
    public func run() {
        let watched = Signals.control + [SIGCHLD, SIGUSR1]
        Signals.block(watched)
        signal(SIGPIPE, SIG_IGN)
        var set = Signals.set(watched)
        openNoticePipe()
        defer { close(noticeRead); close(noticeWrite) }
        scoreboard = Scoreboard.create(slots: Self.scoreboardSlots, routes: routes)
        if scoreboard == nil { logger.warning("no shared memory for the scoreboard: /status and /metrics show no pool figures") }
        logger.info("master \(getpid()) starting \(configuration.workers) workers")
        for _ in 0..<configuration.workers { startWorker() }

        while !(stopping && workers.isEmpty) {
            var timeout = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let signal = sigtimedwait(&set, nil, &timeout)
            switch signal {
            case SIGCHLD: reapWorkers()
            case SIGHUP: reload()
            case SIGUSR1: readRecyclingNotices()
            case SIGTERM, SIGINT, SIGQUIT: beginStop(Signals.name(signal))
            default: break
            }
            reapWorkers()
            startPendingWorkers()
            killOverdueWorkers()
        }
        logger.info("master \(getpid()) stopped")
    }

    private func startWorker() {
        let argv = workerCommand()
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listenFD, Self.workerListenFD)
        posix_spawn_file_actions_adddup2(&actions, noticeWrite, Self.workerNoticeFD)
        let slot = scoreboard?.reserveSlot()
        if let scoreboard, slot != nil { posix_spawn_file_actions_adddup2(&actions, scoreboard.fd, Scoreboard.workerFD) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with the stop/reload signals already blocked, so no thread it
        // creates can take one before the server's sigwait does; with default dispositions;
        // in its own process group, so a terminal's Ctrl-C reaches the master only and the
        // master orders the stop.
        var workerMask = Signals.set(Signals.control)
        var defaults = Signals.set(Signals.control + [SIGCHLD, SIGPIPE])
        posix_spawnattr_setsigmask(&attributes, &workerMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = Self.workerEnvironment(slot: slot).map { strdup($0) } + [nil]
        defer { for variable in cEnvironment { free(variable) } }
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, &cEnvironment)
        guard result == 0 else {
            logger.error("cannot start worker \(argv[0]): \(String(cString: strerror(result)))")
            if let slot { scoreboard?.release(slot) }
            scheduleRestart()
            return
        }
        if let slot { scoreboard?.assign(slot, to: pid) }
        workers[pid] = Worker(generation: generation, started: Date(), slot: slot)
        logger.info("worker \(pid) started")
    }

    private func reapWorkers() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let worker = workers.removeValue(forKey: pid) else { continue }
            if let slot = worker.slot { scoreboard?.release(slot) }
            let how = Self.describeExit(status)
            if stopping || worker.generation != generation || worker.stopDeadline != nil {
                logger.info("worker \(pid) exited (\(how))")
                continue
            }
            let lifetime = Date().timeIntervalSince(worker.started)
            if how == "exit 0" {
                // It left without announcing it (its notice was lost): replace it now.
                logger.info("worker \(pid) recycled, starting a new one")
                scoreboard?.count(.recycles)
                startWorker()
            } else {
                logger.warning("worker \(pid) died (\(how)) after \(String(format: "%.1f", lifetime))s, restarting")
                scoreboard?.count(.restarts)
                scheduleRestart(crashedAfter: lifetime)
            }
        }
    }

    /// The master's environment, and the worker's scoreboard slot.
    private static func workerEnvironment(slot: Int?) -> [String] {
        var variables: [String] = []
        var cursor = environ
        while let variable = cursor.pointee {
            let text = String(cString: variable)
            if !text.hasPrefix(Scoreboard.slotVariable + "=") { variables.append(text) }
            cursor += 1
        }
        if let slot { variables.append(Scoreboard.slotVariable + "=\(slot)") }
        return variables
    }

    /// The descriptor again at 10 or above, closed on exec; the original is closed.
    static func moveHigh(_ fd: Int32) -> Int32 {
        let high = fcntl(fd, F_DUPFD_CLOEXEC, 10)
        guard high >= 0 else { return fd }
        close(fd)
        return high
    }

    private func openNoticePipe() {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0, "pipe failed")
        // Neither end leaks into what workers run (the dup2 for fd 4 clears the flag there),
        // and both sit above the numbers workers get them at, so no dup2 overwrites another's source.
        (noticeRead, noticeWrite) = (Self.moveHigh(fds[0]), Self.moveHigh(fds[1]))
        _ = fcntl(noticeRead, F_SETFL, fcntl(noticeRead, F_GETFL) | O_NONBLOCK)
    }

    /// Called in a worker as it begins to recycle: it still answers what nginx sends on its
    /// kept connections, and the master starts its replacement at once. The pid goes through
    /// the pipe (signals of one kind coalesce); SIGUSR1 only wakes the master.
    public static func announceRecycling() {
        var pid = getpid()
        guard Glibc.write(workerNoticeFD, &pid, MemoryLayout<pid_t>.size) == MemoryLayout<pid_t>.size else { return }
        kill(getppid(), SIGUSR1)
    }

    private func readRecyclingNotices() {
        var pid: pid_t = 0
        while read(noticeRead, &pid, MemoryLayout<pid_t>.size) == MemoryLayout<pid_t>.size {
            guard !stopping, let worker = workers[pid], worker.stopDeadline == nil, worker.generation == generation else { continue }
            workers[pid]?.stopDeadline = Date().addingTimeInterval(configuration.gracefulTimeout)
            logger.info("worker \(pid) is recycling, starting its replacement")
            scoreboard?.count(.recycles)
            startWorker()
        }
    }

    /// A worker that dies right after starting (bad config, database migration missing) would
    /// otherwise be restarted in a tight loop; back off up to 5 s.
    private func scheduleRestart(crashedAfter lifetime: Double = 0) {
        restartBackoff = lifetime > 10 ? 0 : min(max(restartBackoff * 2, 0.1), 5)
        pendingStarts.append(Date().addingTimeInterval(restartBackoff))
    }

    private func startPendingWorkers() {
        guard !stopping else { pendingStarts.removeAll(); return }
        let now = Date()
        let due = pendingStarts.filter { $0 <= now }
        pendingStarts.removeAll { $0 <= now }
        for _ in due { startWorker() }
    }

    private func reload() {
        guard !stopping else { return }
        if let fresh = reloadConfiguration() { configuration = fresh }
        logger.info("master \(getpid()) reloading: starting \(configuration.workers) new workers, old ones drain")
        let old = workers.keys.filter { workers[$0]?.stopDeadline == nil }
        generation += 1
        scoreboard?.count(.reloads)
        pendingStarts.removeAll()
        for _ in 0..<configuration.workers { startWorker() }
        for pid in old { askToStop(pid) }
    }

    private func beginStop(_ reason: String) {
        guard !stopping else { return }
        stopping = true
        logger.info("master \(getpid()) stopping (\(reason)): workers finish their requests")
        for pid in workers.keys { askToStop(pid) }
    }

    private func askToStop(_ pid: pid_t) {
        workers[pid]?.stopDeadline = Date().addingTimeInterval(configuration.gracefulTimeout)
        kill(pid, SIGTERM)
    }

    private func killOverdueWorkers() {
        let now = Date()
        for (pid, worker) in workers {
            if let deadline = worker.stopDeadline, deadline < now {
                logger.warning("worker \(pid) did not stop within \(configuration.gracefulTimeout)s, killing it")
                kill(pid, SIGKILL)
                workers[pid]?.stopDeadline = .distantFuture
            }
        }
    }

    /// "exit N" or "signal NAME" from a waitpid status (the W* macros don't import into Swift).
    static func describeExit(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exit \((status >> 8) & 0xff)" : Signals.name(signal)
    }
}
