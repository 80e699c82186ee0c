// Signal plumbing shared by the worker and the master: masks, sigwait sets, a no-op handler.

import Foundation

enum Signals {
    /// The signals that ask a process to stop or reload. They are blocked in every thread and
    /// taken synchronously (sigwait), so no Swift code ever runs inside a signal handler.
    static let control: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]

    /// Sent by a stopping worker to its own threads that sit in accept() or in a read on a
    /// kept connection, so the call returns EINTR and the thread can exit.
    static let wake = SIGUSR1

    static func set(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    static func block(_ signals: [Int32]) {
        var set = set(signals)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func unblock(_ signals: [Int32]) {
        var set = set(signals)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Installs a handler that does nothing, without SA_RESTART: its only purpose is to make
    /// a blocking system call return EINTR.
    static func installWakeHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(wake, &action, nil)
    }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        case SIGQUIT: return "SIGQUIT"
        case SIGKILL: return "SIGKILL"
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL"
        case SIGTRAP: return "SIGTRAP"
        case SIGBUS: return "SIGBUS"
        default: return "signal \(signal)"
        }
    }
}
