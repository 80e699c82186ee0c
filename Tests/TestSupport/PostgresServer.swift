// A throwaway PostgreSQL server for tests (initdb + pg_ctl in a temp directory), plus small
// process and port helpers the end-to-end tests reuse for nginx and pictor.

import Foundation
import Synchronization
import Postgres
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command that exited unsuccessfully (or could not be started), with everything it printed.
public struct CommandError: Error, CustomStringConvertible {
    public let command: [String]
    public let status: Int32
    public let output: String

    public var description: String {
        "command failed (exit \(status)): \(command.joined(separator: " "))\n\(output)"
    }
}

/// Runs `path` with `args`, waits for it, and returns what it printed (stdout and stderr
/// interleaved). Throws `CommandError`, carrying that output, if it exits non-zero. `input`, if
/// given, is what the command reads on stdin (otherwise /dev/null).
///
/// Deliberately not Foundation's `Process`: on Linux its `waitUntilExit` waits for a socket
/// the child inherits, so a command that leaves a daemon behind (`pg_ctl start`, `nginx`)
/// never "exits". Here the child is spawned with only stdin/stdout/stderr and reaped with
/// `waitpid`; output goes through a temporary file so a daemon holding it cannot block us.
public func runCommand(_ path: String, _ args: [String], environment: [String: String]? = nil,
                       currentDirectory: String? = nil, input: String? = nil) throws -> String {
    var inputPath: String?
    if let input {
        let file = NSTemporaryDirectory() + "pictor-stdin-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: file, contents: Data(input.utf8)) else {
            throw CommandError(command: [path] + args, status: -1, output: "cannot write \(file)")
        }
        inputPath = file
    }
    defer { if let inputPath { unlink(inputPath) } }
    var template = Array("/tmp/pictor-cmd-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    guard fd >= 0 else {
        throw CommandError(command: [path] + args, status: -1, output: "mkstemp failed: errno \(errno)")
    }
    let outputPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer {
        close(fd)
        unlink(outputPath)
    }
    let pid = try spawn(path, args, environment: environment, currentDirectory: currentDirectory, output: fd, input: inputPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
        guard errno == EINTR else {
            throw CommandError(command: [path] + args, status: -1, output: "waitpid failed: errno \(errno)")
        }
    }
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    // WIFEXITED / WEXITSTATUS are C macros Swift cannot import.
    let signal = status & 0x7f
    let exitCode = (status >> 8) & 0xff
    guard signal == 0, exitCode == 0 else {
        throw CommandError(command: [path] + args, status: signal == 0 ? exitCode : 128 + signal,
                           output: signal == 0 ? text : text + "\n(killed by signal \(signal))")
    }
    return text
}

/// Starts `path` without waiting for it. stdin is the file at `input` (or /dev/null); stdout and
/// stderr go to `output` (or /dev/null); no other descriptor of ours leaks into the child.
func spawn(_ path: String, _ args: [String], environment: [String: String]? = nil,
           currentDirectory: String? = nil, output: Int32? = nil, input: String? = nil) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
    if let output = output {
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    }
    if let directory = currentDirectory {
        guard let addChdir = GlibcExtras.addChdir else {
            throw CommandError(command: [path] + args, status: -1, output: "posix_spawn_file_actions_addchdir_np is unavailable")
        }
        _ = addChdir(&actions, directory)
    }
    _ = GlibcExtras.addCloseFrom?(&actions, 3)

    // The test runner may ignore or block signals; daemons we start must not inherit that.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] {
        sigaddset(&defaults, signal)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([path] + args).map { strdup($0) } + [nil]
    let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        env.forEach { free($0) }
    }
    var pid = pid_t()
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, env)
    guard result == 0 else {
        throw CommandError(command: [path] + args, status: -1, output: "cannot start: \(String(cString: strerror(result)))")
    }
    return pid
}

/// glibc's GNU-only spawn actions, which Swift's Glibc module does not import; looked up at run time.
private enum GlibcExtras {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it back, close).
public func freePort() -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    precondition(fd >= 0, "socket() failed: errno \(errno)")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Int32 in
            guard bind(fd, generic, length) == 0 else { return -1 }
            return getsockname(fd, generic, &length)
        }
    }
    precondition(bound == 0, "bind/getsockname failed: errno \(errno)")
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A private PostgreSQL cluster for one test process.
///
/// Lives in a fresh directory under /tmp, listens on a free port on 127.0.0.1 and on its own
/// unix socket directory, trusts every local connection as user `postgres`, and trades
/// durability for speed (fsync, synchronous_commit and full_page_writes off). PostgreSQL
/// refuses to run as root, so as root the directory is given to the `postgres` user and the
/// server tools run through `runuser`.
// @unchecked: its mutable state (initialized, running, databaseCounter) is read and written only
// while holding `lock`; everything else is a `let`.
public final class PostgresServer: @unchecked Sendable {
    /// One server per test process, started on first use and stopped (and deleted) at exit.
    public static let shared: PostgresServer = {
        do {
            let server = try PostgresServer()
            try server.start()
            return server
        } catch {
            fatalError("cannot start the test PostgreSQL server: \(error)")
        }
    }()

    /// TCP port on 127.0.0.1.
    public let port: Int
    /// Directory holding the server's unix socket (`.s.PGSQL.<port>`).
    public let socketDirectory: String
    /// Root of everything this server owns on disk (data, socket, log).
    public let baseDirectory: String

    private let dataDirectory: String
    private let logFile: String
    private let binDirectory: String
    private let runAsPostgresUser: Bool
    private let lock = NSLock()
    private var initialized = false
    private var running = false
    private var databaseCounter = 0

    /// Prepares (but does not start) a new server in a fresh temporary directory. Servers made
    /// this way are also stopped and deleted at process exit.
    public init() throws {
        binDirectory = try PostgresServer.findBinDirectory()
        var template = Array("/tmp/pictor-pg-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw CommandError(command: ["mkdtemp"], status: -1, output: "errno \(errno)")
        }
        baseDirectory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        dataDirectory = baseDirectory + "/data"
        socketDirectory = baseDirectory + "/socket"
        logFile = baseDirectory + "/server.log"
        port = freePort()
        runAsPostgresUser = getuid() == 0
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if runAsPostgresUser {
            _ = try runCommand("/bin/chown", ["-R", "postgres:postgres", baseDirectory])
        }
        PostgresServer.register(self)
    }

    /// A libpq connection string for `database` over TCP as the superuser `postgres`.
    public func conninfo(database: String) -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(PostgresServer.quote(database))"
    }

    /// Creates an empty database with a unique name starting with `prefix` and returns the name.
    /// The money invariant is checked in it after the tests that use it (`DatabaseWatch`).
    public func createDatabase(prefix: String = "test") throws -> String {
        let cleaned = String(prefix.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }.prefix(40))
        let name: String = lock.withLock {
            databaseCounter += 1
            return "\(cleaned.isEmpty ? "test" : cleaned)_\(getpid())_\(databaseCounter)"
        }
        let admin = try Connection(conninfo(database: "postgres"))
        defer { admin.close() }
        // Identifiers cannot be parameters; the name is built from [a-z0-9_] only.
        try admin.execute("CREATE DATABASE \"\(name)\"")
        DatabaseWatch.shared.watch(conninfo(database: name))
        return name
    }

    /// Starts the server (running initdb the first time) and waits until it accepts connections.
    public func start() throws {
        try lock.withLock {
            guard !running else { return }
            if !initialized {
                try initialize()
                initialized = true
            }
            do {
                _ = try serverTool("pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "60", "start"])
            } catch {
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                throw CommandError(command: ["pg_ctl", "start"], status: -1, output: "\(error)\nserver log:\n\(log.suffix(4000))")
            }
            running = true
        }
    }

    /// Stops the server (fast shutdown: sessions are terminated) and waits until it is gone.
    public func stop() throws {
        try lock.withLock {
            guard running else { return }
            _ = try serverTool("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
            running = false
        }
    }

    /// Stops and starts the server on the same port and socket; existing sessions are cut off.
    public func restart() throws {
        try stop()
        try start()
    }

    /// Stops the server and deletes its directory. Called for every server at process exit.
    public func destroy() {
        try? stop()
        try? FileManager.default.removeItem(atPath: baseDirectory)
    }

    // MARK: - Setup

    private func initialize() throws {
        _ = try serverTool("initdb", ["-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                      "--locale=C", "--no-sync"])
        let settings = """

            # Added by Pictor's TestSupport: a private, fast, non-durable test server.
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(socketDirectory)'
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            max_connections = 200

            """
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        startWatchdog()
    }

    /// Runs a PostgreSQL program, as the `postgres` user when we are root.
    private func serverTool(_ tool: String, _ args: [String]) throws -> String {
        let program = binDirectory + "/" + tool
        if runAsPostgresUser {
            return try runCommand(PostgresServer.runuser, ["-u", "postgres", "--", program] + args,
                                  currentDirectory: baseDirectory)
        }
        return try runCommand(program, args, currentDirectory: baseDirectory)
    }

    /// If the test process dies without running its exit handlers (a crash, SIGKILL), a small
    /// shell loop notices and takes the server and its directory down.
    private func startWatchdog() {
        let prefix = runAsPostgresUser ? "\(PostgresServer.runuser) -u postgres -- " : ""
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(prefix)'\(binDirectory)/pg_ctl' -D '\(dataDirectory)' -m immediate -w stop
            rm -rf '\(baseDirectory)'
            """
        _ = try? spawn("/bin/sh", ["-c", script])
    }

    private static var runuser: String {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/sbin/runuser"
    }

    /// `$PICTOR_PG_BINDIR`, else the highest version under /usr/lib/postgresql (Debian's layout).
    private static func findBinDirectory() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["PICTOR_PG_BINDIR"], !configured.isEmpty {
            return configured
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { name -> (Double, String)? in Double(name).map { ($0, name) } }
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0.1)/bin/initdb") }
            .sorted { $0.0 > $1.0 }
        guard let newest = versions.first else {
            throw CommandError(command: ["find initdb"], status: -1,
                               output: "no PostgreSQL server found under \(root); install postgresql or set PICTOR_PG_BINDIR")
        }
        return "\(root)/\(newest.1)/bin"
    }

    private static func quote(_ value: String) -> String {
        // Plain names stay readable; anything else is quoted the way libpq expects.
        if !value.isEmpty, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "'\(escaped)'"
    }

    // MARK: - Cleanup at exit

    private static let registry = Mutex<[PostgresServer]>([])

    private static func register(_ server: PostgresServer) {
        registry.withLock { servers in
            if servers.isEmpty {
                atexit {
                    PostgresServer.registry.withLock { $0 }.forEach { $0.destroy() }
                }
            }
            servers.append(server)
        }
    }
}
