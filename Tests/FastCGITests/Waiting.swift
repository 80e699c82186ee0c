// Waiting for a condition with a deadline; TestSupport's twin, as this target does without TestSupport (and its PostgreSQL).
import Foundation

struct WaitTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Checks `condition` every `pollInterval` seconds until it holds; throws `WaitTimeout` if it
/// still does not once `timeout` seconds have passed (it is checked once more at the deadline).
func waitUntil(_ what: String, timeout: Double, pollInterval: Double = 0.01, _ condition: () throws -> Bool) throws {
    let uptime = { ProcessInfo.processInfo.systemUptime }  // monotonic, unlike Date()
    let deadline = uptime() + timeout
    while true {
        if try condition() { return }
        let left = deadline - uptime()
        guard left > 0 else { throw WaitTimeout(description: "gave up after \(timeout) s waiting for \(what)") }
        Thread.sleep(forTimeInterval: min(pollInterval, left))
    }
}
