// Failed-login throttling, shared by every process, that an attacker cannot turn against the
// account's owner.

import Foundation
import Postgres

/// Counts failed logins in windows of `accounts.login_window` seconds:
/// - per client address, and per (email, address) pair: past `login_max_failures` that address
///   is refused (429) for the rest of the window, whatever the password;
/// - per email, from all addresses: past the same number, each attempt on that account is
///   slowed down (a growing delay, at most `maxDelay`), never refused. So guessing one account
///   from many addresses gets slow, while its owner, from an address that has not been failing,
///   still gets in with the right password.
/// Emails are keyed as the account lookup normalises them (`Credentials.normalizedEmail`), so
/// `VICTIM@…\r\n` counts against the same account as `victim@…`.
struct LoginThrottle {
    let limiter: RateLimiter
    let maxFailures: Int
    let window: Int
    /// The longest a request thread sleeps for one attempt: a thread is a scarce resource.
    static let maxDelay = 2.0

    init(db: Connection, config: Config.Accounts) {
        limiter = RateLimiter(db: db)
        maxFailures = config.loginMaxFailures
        window = config.loginWindow
    }

    /// The email as accounts are looked up by; something stable for an address that is not one.
    static func emailKey(_ raw: String) -> String {
        (try? Credentials.normalizedEmail(raw))
            ?? raw.precomposedStringWithCanonicalMapping.lowercased()
                .trimmingCharacters(in: CharacterSet.whitespacesAndNewlines.union(.controlCharacters))
    }

    private func keys(email: String, address: String) -> (email: String, pair: String, address: String) {
        let email = Self.emailKey(email)
        return ("login:email:" + email, "login:pair:" + address + " " + email, "login:address:" + address)
    }

    /// Throws 429 with Retry-After while the address, or this email from this address, is over
    /// the limit. Returns how long to wait before checking the password (0 for most logins).
    func check(email: String, address: String) throws -> TimeInterval {
        let keys = keys(email: email, address: address)
        for key in [keys.address, keys.pair] {
            let (count, retryAfter) = try limiter.current(key, window: window)
            if count >= maxFailures {
                let minutes = (retryAfter + 59) / 60
                throw HTTPError(429, code: "rate_limited",
                                message: "Too many failed login attempts. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").",
                                headers: ["Retry-After": String(retryAfter)])
            }
        }
        return Self.delay(failures: try limiter.current(keys.email, window: window).count, limit: maxFailures)
    }

    /// Nothing up to the limit, then a quarter second more for each failure past it, capped.
    static func delay(failures: Int, limit: Int) -> TimeInterval {
        failures < limit ? 0 : min(maxDelay, 0.25 * Double(failures - limit + 1))
    }

    func recordFailure(email: String, address: String) throws {
        let keys = keys(email: email, address: address)
        try limiter.hit([keys.email, keys.pair, keys.address], window: window)
    }

    /// A successful login clears the account's and this pair's failures (the address keeps its
    /// count: it may be guessing other accounts).
    func recordSuccess(email: String, address: String) throws {
        let keys = keys(email: email, address: address)
        try limiter.reset(keys.email)
        try limiter.reset(keys.pair)
    }
}
