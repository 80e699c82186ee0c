// Reads a password for `pictor admin` from standard input, so it never sits in argv (shown by `ps`).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum PasswordInput {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// On a terminal: asks twice with echo off. Otherwise (a pipe or file): the first line.
    static func read() throws -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true) else {
                throw Missing(description: "no password on standard input (pipe one line, or run it on a terminal)")
            }
            return line
        }
        let first = try silently("Password: ")
        guard try silently("Password again: ") == first else { throw Missing(description: "the passwords differ") }
        return first
    }

    /// One line typed without echo; the prompt goes to stderr so stdout stays the command's output.
    private static func silently(_ prompt: String) throws -> String {
        guard tcgetattr(STDIN_FILENO, &savedTerminal) == 0 else {
            throw Missing(description: "cannot read the terminal settings (errno \(errno))")
        }
        var silent = savedTerminal
        silent.c_lflag &= ~tcflag_t(ECHO)
        FileHandle.standardError.write(Data(prompt.utf8))
        // Ctrl-C would otherwise leave the shell without echo.
        let previous = signal(SIGINT, restoreAndExit)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        let line = readLine(strippingNewline: true)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &savedTerminal)
        signal(SIGINT, previous)
        FileHandle.standardError.write(Data("\n".utf8))
        guard let line else { throw Missing(description: "no password entered") }
        return line
    }
}

/// The terminal settings to put back; global because a signal handler cannot capture.
private nonisolated(unsafe) var savedTerminal = termios()

private func restoreAndExit(_ signal: Int32) {
    tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal)
    _exit(128 + signal)
}
