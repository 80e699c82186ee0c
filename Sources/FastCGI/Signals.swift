// Signal plumbing shared by the worker and the master: masks and sigwait sets.

import Foundation

enum Signals {
    /// The signals that ask a process to stop or reload. They are blocked in every thread and
    /// taken synchronously (sigwait), so no Swift code ever runs inside a signal handler.
    static let control: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT]

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
