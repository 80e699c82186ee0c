// The per-user generation rate limit, shared by every process through PostgreSQL.

import Postgres

enum GenerationLimits {
    static func checkRate(userID: Int64, db: Connection, config: Config.GenerationPolicy) throws {
        let limiter = RateLimiter(db: db)
        let key = "generate:user:\(userID)"
        let count = try limiter.hit([key], window: 60)[0]
        if count > config.requestsPerMinute {
            let (_, retryAfter) = try limiter.current(key, window: 60)
            throw HTTPError(429, code: "rate_limited",
                            message: "You can start \(config.requestsPerMinute) generations a minute. Try again in \(retryAfter) s.",
                            headers: ["Retry-After": String(retryAfter)])
        }
    }
}
