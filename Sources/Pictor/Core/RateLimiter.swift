// Fixed-window counters in PostgreSQL, so a limit holds across every process and host.

import Postgres

/// Counts events per key in fixed windows stored in `rate_limits`.
struct RateLimiter {
    let db: Connection

    /// The current count for `key` in the window of `seconds`, and the seconds until it ends.
    func current(_ key: String, window seconds: Int) throws -> (count: Int, retryAfter: Int) {
        let rows = try db.query("""
            SELECT coalesce(max(count), 0) AS count,
                   ceil(extract(epoch FROM date_bin(make_interval(secs => $2::float8), now(), timestamptz 'epoch')
                        + make_interval(secs => $2::float8) - now()))::int AS retry_after
            FROM rate_limits
            WHERE key = $1 AND window_start = date_bin(make_interval(secs => $2::float8), now(), timestamptz 'epoch')
            """, [key, seconds])
        return (try rows[0].get("count"), max(1, try rows[0].get("retry_after")))
    }

    /// Adds one event to each key's current window; returns the new counts in key order.
    /// The key's past windows are dropped on the way, so the table stays one row per key. The
    /// row records when its window ends, because windows differ in length and Housekeeping
    /// purges the rows of keys that are never hit again.
    @discardableResult
    func hit(_ keys: [String], window seconds: Int) throws -> [Int] {
        try keys.map { key in
            let rows = try db.query("""
                WITH past AS (
                    DELETE FROM rate_limits
                    WHERE key = $1 AND window_start < date_bin(make_interval(secs => $2::float8), now(), timestamptz 'epoch')
                ), bin AS (
                    SELECT date_bin(make_interval(secs => $2::float8), now(), timestamptz 'epoch') AS start
                )
                INSERT INTO rate_limits (key, window_start, count, expires_at)
                SELECT $1, start, 1, start + make_interval(secs => $2::float8) FROM bin
                ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
                RETURNING count
                """, [key, seconds])
            return try rows[0].get("count")
        }
    }

    /// Forgets every window of `key` (after a successful login).
    func reset(_ key: String) throws {
        try db.query("DELETE FROM rate_limits WHERE key = $1", [key])
    }
}
