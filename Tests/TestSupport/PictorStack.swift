// A whole Pictor for end-to-end tests: its own database, `pictor serve` and nginx on a free port.

import Codecs
import Crypto
import Foundation
import HTTPClient

/// Starts PostgreSQL (shared per test process, fresh database per stack), migrates, runs the
/// real `pictor serve` pool and nginx with the shipped config, and stops them again.
public final class PictorStack {
    /// The repository root, found from this file's path.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The `pictor` binary: $PICTOR_BIN, else the debug build.
    public static let binary = ProcessInfo.processInfo.environment["PICTOR_BIN"] ?? root + "/.build/debug/pictor"

    public let state: String
    public let baseURL: String
    public let databaseURL: String
    public let configPath: String
    public let socketPath: String
    /// The sockets of every pool (the first is `socketPath`).
    public let socketPaths: [String]
    /// What Pictor signs private media links with and nginx checks them against (nil: no
    /// secret, pages link private images through the pool).
    public let linkSecret: String?
    private var serve: Process?
    /// Every pool's `pictor serve` (the first is `serve`).
    private var serves: [Process] = []
    private var nginx: Process?
    /// Running `pictor worker` processes.
    public private(set) var jobWorkers: [Process] = []

    /// - Parameters:
    ///   - settings: extra `section.key = value` lines for the config file.
    ///   - keepConn: render nginx with `fastcgi_keep_conn on` and an upstream keepalive pool (as
    ///     shipped), or with a FastCGI connection per request.
    ///   - jobWorkers: `pictor worker` processes to start.
    ///   - pools: `pictor serve` pools on one database and media directory, each with its own
    ///     socket, config (pictor-N.conf for the second on) and log (pictor-N.log), all in
    ///     nginx's upstream, as hosts scaled out would be.
    ///   - rateLimits: render nginx with the shipped per-address limits on POST /login and
    ///     /signup. Off by default: every test client is 127.0.0.1, so they would throttle whole
    ///     suites; the tests of those limits turn them on.
    ///   - A fresh `storage.link_secret` is configured, as `make run` does, unless `settings` sets
    ///     one (empty: none, pages link private images through the pool).
    public init(settings: [String: String] = [:], keepConn: Bool = true, workers: Int = 2, jobWorkers: Int = 0,
                rateLimits: Bool = false, pools: Int = 1) throws {
        let postgres = PostgresServer.shared
        databaseURL = postgres.conninfo(database: try postgres.createDatabase(prefix: "e2e"))
        state = NSTemporaryDirectory() + "pictor-e2e-" + UUID().uuidString.prefix(8).lowercased()
        let run = state + "/run"
        socketPath = run + "/pictor.sock"
        socketPaths = [run + "/pictor.sock"] + (1..<max(1, pools)).map { run + "/pictor-\($0 + 1).sock" }
        let port = freePort()
        baseURL = "http://127.0.0.1:\(port)"
        for directory in ["run", "media/public", "media/private"] {
            try FileManager.default.createDirectory(atPath: state + "/" + directory, withIntermediateDirectories: true)
        }
        configPath = state + "/pictor.conf"
        let secret = settings["storage.link_secret"] ?? Hex.encode(Crypto.randomBytes(32))
        linkSecret = secret.isEmpty ? nil : secret
        let poolSettings = settings.merging(["storage.link_secret": secret]) { mine, _ in mine }
        try writeConfig(settings: poolSettings, workers: workers, socket: socketPath, to: configPath)
        // nginx reads the secret as production does: from the pool's environment file.
        let secretFile = state + "/pictor.env"
        try "PICTOR_STORAGE_LINK_SECRET=\(secret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)

        _ = try runCommand(Self.binary, ["migrate", "--config", configPath])
        for (index, socket) in socketPaths.enumerated() {
            let suffix = index == 0 ? "" : "-\(index + 1)"
            let config = state + "/pictor\(suffix).conf"
            if index > 0 { try writeConfig(settings: poolSettings, workers: workers, socket: socket, to: config) }
            serves.append(try start(Self.binary, ["serve", "--config", config], log: "pictor\(suffix).log"))
            try waitFor("the FastCGI socket \(socket)") { FileManager.default.fileExists(atPath: socket) }
        }
        serve = serves.first

        let nginxConf = try runCommand(Self.root + "/scripts/nginx-site.sh", [
            "--dev-state", state, "--media", state + "/media",
            "--listen", "127.0.0.1:\(port)", "--client-max-body", "2m", "--keep-conn", keepConn ? "on" : "off",
            "--rate-limits", rateLimits ? "on" : "off",
        ] + socketPaths.flatMap { ["--socket", $0] }
          + (linkSecret == nil ? [] : ["--link-secret-env", secretFile])).trimmingCharacters(in: .whitespacesAndNewlines)
        nginx = try start("/usr/sbin/nginx", ["-p", state, "-c", nginxConf], log: "nginx.out")
        for _ in 0..<jobWorkers { try startJobWorker() }
        let client = HTTPClient(connectTimeout: 1, timeout: 5)
        try waitFor("Pictor to answer through nginx") {
            (try? client.get(self.baseURL + "/healthz").status) == 200
        }
    }

    deinit { stop() }

    /// The shipped pictor.conf's three builtin models, for tests that configure models of their
    /// own and still want these offered (a config with model sections offers exactly those).
    public static let builtinModels = [
        "model.flux-schnell.provider": "builtin", "model.flux-schnell.cost": "1",
        "model.sdxl.provider": "builtin", "model.sdxl.cost": "2", "model.sdxl.steps": "30",
        "model.flux-schnell-hd.provider": "builtin", "model.flux-schnell-hd.cost": "3", "model.flux-schnell-hd.upscale": "2",
        "model.flux-schnell-hd.sizes": "1024x1024, 1024x768, 768x1024, 512x512",
    ]

    private func writeConfig(settings: [String: String], workers: Int, socket: String, to path: String) throws {
        var values = [
            "server.listen": socket, "server.listen_mode": "0666", "server.workers": "\(workers)",
            "server.threads": "4", "server.max_body_bytes": "1048576", "server.graceful_timeout": "10",
            "server.drain_timeout": "6",
            "database.url": databaseURL, "paths.templates": Self.root + "/templates", "paths.public": Self.root + "/public",
            "paths.migrations": Self.root + "/sql", "paths.media": state + "/media",
            "paths.common_passwords": Self.root + "/data/common-passwords.txt", "site.public_url": baseURL,
            "moderation.blocklist": Self.root + "/data/moderation-blocklist.txt",
            // Suites sign up many users, all from 127.0.0.1; the limit's own tests set it low.
            "accounts.signup_per_hour": "100000",
        ]
        values.merge(settings) { $1 }
        var sections: [String: [String]] = [:]
        for (key, value) in values {
            let parts = key.split(separator: ".", maxSplits: 1)
            sections[String(parts[0]), default: []].append("\(parts[1]) = \(value)")
        }
        // Models are offered in the file's order, and the first is the default: the builtin
        // three come first, as in the shipped pictor.conf.
        let builtinOrder = ["flux-schnell.", "sdxl.", "flux-schnell-hd."]
        func rank(_ line: String) -> Int { builtinOrder.firstIndex { line.hasPrefix($0) } ?? builtinOrder.count }
        sections["model"]?.sort { (rank($0), $0) < (rank($1), $1) }
        let text = sections.keys.sorted().map { "[\($0)]\n" + ($0 == "model" ? sections[$0]! : sections[$0]!.sorted()).joined(separator: "\n") }
            .joined(separator: "\n\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func start(_ path: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.standardInput = FileHandle.nullDevice
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        _ = FileManager.default.createFile(atPath: state + "/" + log, contents: nil)
        let output = FileHandle(forWritingAtPath: state + "/" + log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// Starts one more `pictor worker` process, with extra `arguments` (its log goes to
    /// worker-N.log, N counting from 0).
    @discardableResult
    public func startJobWorker(arguments: [String] = []) throws -> Process {
        let process = try start(Self.binary, ["worker", "--config", configPath] + arguments, log: "worker-\(jobWorkers.count).log")
        jobWorkers.append(process)
        return process
    }

    /// Polls `condition` for up to `seconds`; a timeout's error carries the pool's log.
    public func waitFor(_ what: String, seconds: Double = 15, _ condition: () -> Bool) throws {
        do {
            try waitUntil(what, timeout: seconds, pollInterval: 0.05, condition)
        } catch is WaitTimeout {
            throw CommandError(command: ["wait for \(what)"], status: -1, output: pictorLog())
        }
    }

    /// The master's process id.
    public var masterPID: Int32 { serve?.processIdentifier ?? 0 }

    /// The current worker processes of the master (children by /proc).
    public func workerPIDs() -> [Int32] { childPIDs(of: masterPID) }

    private func childPIDs(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && fields[0] != "Z" && Int32(fields[1]) == parent
        }.sorted()
    }

    /// Sends a signal to the master.
    public func signalMaster(_ signal: Int32) { kill(masterPID, signal) }

    /// What `pictor serve` logged so far (the first pool's; `pool: 1` for the second's).
    public func pictorLog(pool: Int = 0) -> String {
        (try? String(contentsOfFile: state + (pool == 0 ? "/pictor.log" : "/pictor-\(pool + 1).log"), encoding: .utf8)) ?? ""
    }

    /// The master of pool `index`, and its workers.
    public func poolPIDs(_ index: Int) -> (master: Int32, workers: [Int32]) {
        let master = serves[index].processIdentifier
        return (master, childPIDs(of: master))
    }

    /// What nginx logged as errors so far.
    public func nginxErrorLog() -> String {
        (try? String(contentsOfFile: state + "/nginx-error.log", encoding: .utf8)) ?? ""
    }

    /// Checks the money invariant one last time, stops nginx and the pool (gracefully: SIGTERM /
    /// SIGQUIT) and removes the state directory.
    public func stop() {
        if serve != nil { DatabaseWatch.shared.release(databaseURL) }
        for worker in jobWorkers where worker.isRunning { worker.terminate(); worker.waitUntilExit() }
        jobWorkers = []
        if let nginx, nginx.isRunning { nginx.terminate(); nginx.waitUntilExit() }
        for serve in serves where serve.isRunning { serve.terminate(); serve.waitUntilExit() }
        nginx = nil
        serve = nil
        serves = []
        if ProcessInfo.processInfo.environment["PICTOR_KEEP_TEST_STATE"] == nil {
            try? FileManager.default.removeItem(atPath: state)
        }
    }

    /// Whether `pictor serve` exited, and with what status.
    public var serveExitStatus: Int32? {
        guard let serve, !serve.isRunning else { return nil }
        return serve.terminationStatus
    }
}
