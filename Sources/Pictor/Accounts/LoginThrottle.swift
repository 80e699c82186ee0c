// Failed-login throttling per email and per client address, shared by every process.

import Foundation
import Postgres

struct LoginThrottle {
    let limiter: RateLimiter
    let maxFailures: Int
    let window: Int

    init(db: Connection, config: Config.Accounts) {
        limiter = RateLimiter(db: db)
        maxFailures = config.loginMaxFailures
        window = config.loginWindow
    }

    private func keys(email: String, address: String) -> [String] {
        ["login:email:" + email.lowercased().trimmingCharacters(in: .whitespaces), "login:address:" + address]
    }

    /// Throws 429 with Retry-After while either key is over the limit.
    func check(email: String, address: String) throws {
        for key in keys(email: email, address: address) {
            let (count, retryAfter) = try limiter.current(key, window: window)
            if count >= maxFailures {
                let minutes = (retryAfter + 59) / 60
                throw HTTPError(429, code: "rate_limited",
                                message: "Too many failed login attempts. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                                headers: ["Retry-After": String(retryAfter)])
            }
        }
    }

    func recordFailure(email: String, address: String) throws {
        try limiter.hit(keys(email: email, address: address), window: window)
    }

    /// A successful login clears the email's failures (the address keeps its count).
    func recordSuccess(email: String) throws {
        try limiter.reset(keys(email: email, address: "")[0])
    }
}
