// The pictor command: serve (the FastCGI master), migrate, and the hidden serve-worker.

import ArgumentParser
import Foundation
import Logging
import Pictor

@main
struct PictorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pictor",
        abstract: "Pictor, a self-hostable AI image generator.",
        subcommands: [Serve.self, ServeWorker.self, Migrate.self, Worker.self, Admin.self]
    )
}

/// Options every subcommand shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (default: $PICTOR_CONFIG, else /etc/pictor/pictor.conf or ./pictor.conf if present).")
    var config: String?

    /// The config path actually used, made absolute so workers find it whatever their cwd.
    func resolvedPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [config, environment["PICTOR_CONFIG"]].compactMap { $0 }
        if let explicit = candidates.first { return absolute(explicit) }
        for fallback in ["/etc/pictor/pictor.conf", "pictor.conf"] where FileManager.default.fileExists(atPath: fallback) {
            return absolute(fallback)
        }
        return nil
    }

    func load() throws -> Config {
        try Config.load(path: resolvedPath())
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// One line per event on stderr; systemd's journal or the terminal collects it.
func bootstrapLogging(level: String, label: String) -> Logger {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: level) ?? .info
    return logger
}

/// Exits with a one-line message instead of a stack of errors.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("pictor: \(message)\n".utf8))
    exit(1)
}
