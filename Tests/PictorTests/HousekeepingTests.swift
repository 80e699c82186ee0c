// Housekeeping against real PostgreSQL: expired sessions and ended rate-limit windows go, live ones stay.

import Foundation
import Postgres
@testable import Pictor
import TestSupport
import XCTest

final class HousekeepingTests: XCTestCase {
    var conninfo: String!
    var db: Connection!

    override func setUpWithError() throws {
        (conninfo, db) = try TestDatabase.migrated("housekeeping")
    }

    override func tearDown() {
        db?.close()
    }

    private func createUser() throws -> Int64 {
        try db.query("INSERT INTO users (email, password_hash) VALUES ($1, 'scrypt$x') RETURNING id",
                     ["hk-\(UUID().uuidString.prefix(8).lowercased())@example.com"])[0].get("id")
    }

    /// A session expiring `seconds` from now (negative: already expired); returns its label.
    @discardableResult
    private func session(_ user: Int64, expiresIn seconds: Int, label: UInt8) throws -> UInt8 {
        try db.query("""
            INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
            VALUES ($1, $2, 'csrf', now() + make_interval(secs => $3::float8))
            """, [[UInt8](repeating: label, count: 32), user, seconds])
        return label
    }

    /// A counter whose window started `startedAgo` seconds ago and lasts `window` seconds.
    private func window(_ key: String, startedAgo: Int, lasting window: Int) throws {
        try db.query("""
            INSERT INTO rate_limits (key, window_start, count, expires_at)
            VALUES ($1, now() - make_interval(secs => $2::float8), 3, now() - make_interval(secs => $2::float8) + make_interval(secs => $3::float8))
            """, [key, startedAgo, window])
    }

    private func sessionLabels() throws -> [UInt8] {
        try db.query("SELECT token_hash FROM sessions ORDER BY token_hash").map { try $0.get("token_hash", as: [UInt8].self)[0] }
    }

    private func rateLimitKeys() throws -> [String] {
        try db.query("SELECT key FROM rate_limits ORDER BY key").map { try $0.get("key") }
    }

    func testPurgesExpiredSessionsAndEndedWindowsAndKeepsLiveOnes() throws {
        let user = try createUser()
        try session(user, expiresIn: -3600, label: 1)
        try session(user, expiresIn: -1, label: 2)
        try session(user, expiresIn: 3600, label: 3)
        // Windows of different lengths: age alone does not tell whether a row still counts.
        try window("generate:user:1", startedAgo: 120, lasting: 60)
        try window("login:address:192.0.2.1", startedAgo: 1000, lasting: 900)
        try window("login:email:old@example.com", startedAgo: 600, lasting: 900)
        let limiter = RateLimiter(db: db)
        try limiter.hit(["generate:user:2"], window: 60)
        try limiter.hit(["login:email:new@example.com", "login:address:192.0.2.2"], window: 900)

        XCTAssertEqual(try Housekeeping(db: db).purgeExpired(), Housekeeping.Purged(sessions: 2, rateLimits: 2))
        XCTAssertEqual(try sessionLabels(), [3])
        XCTAssertEqual(try rateLimitKeys(), ["generate:user:2", "login:address:192.0.2.2", "login:email:new@example.com",
                                             "login:email:old@example.com"])
        // Live counters keep counting.
        XCTAssertEqual(try limiter.current("login:email:new@example.com", window: 900).count, 1)
        XCTAssertEqual(try Housekeeping(db: db).purgeExpired(), Housekeeping.Purged())
    }

    func testRateLimiterRecordsWhenEachWindowEnds() throws {
        let limiter = RateLimiter(db: db)
        try limiter.hit(["generate:user:7"], window: 60)
        try limiter.hit(["login:email:a@example.com"], window: 900)
        try limiter.hit(["login:email:a@example.com"], window: 900)
        let rows = try db.query("""
            SELECT key, count, extract(epoch FROM expires_at - window_start)::int AS length,
                   window_start <= now() AND expires_at > now() AS current
            FROM rate_limits ORDER BY key
            """)
        XCTAssertEqual(try rows.map { "\(try $0.get("key", as: String.self)) \(try $0.get("count", as: Int.self)) \(try $0.get("length", as: Int.self)) \(try $0.get("current", as: Bool.self))" },
                       ["generate:user:7 1 60 true", "login:email:a@example.com 2 900 true"])
    }

    func testPurgesExpiredLinksAndMailSentOverAMonthAgoAndKeepsTheRest() throws {
        let user = try createUser()
        for (label, expiresIn) in [(1, -60), (2, 3600)] {
            try db.query("""
                INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) VALUES ($1, $2, 'password_reset', now() + make_interval(secs => $3::float8))
                """, [[UInt8](repeating: UInt8(label), count: 32), user, expiresIn])
        }
        for (status, sentDaysAgo) in [("sent", 31), ("logged", 31), ("sent", 29), ("failed", 40), ("pending", 40)] {
            try db.query("""
                INSERT INTO email_outbox (user_id, to_address, subject, body_text, kind, status, sent_at)
                VALUES ($1, 'x@example.com', $2, 'text', 'low_credit', $2, now() - make_interval(days => $3))
                """, [user, status, sentDaysAgo])
        }
        let purged = try XCTUnwrap(try Housekeeping(db: db).purgeExpired())
        XCTAssertEqual(purged.links, 1)
        XCTAssertEqual(purged.mail, 2)
        XCTAssertEqual(try db.query("SELECT count(*)::int AS n FROM account_tokens")[0].get("n", as: Int.self), 1)
        let kept: [String] = try db.query("SELECT status FROM email_outbox ORDER BY id").map { try $0.get("status") }
        XCTAssertEqual(kept, ["sent", "failed", "pending"], "mail that failed or waits is never purged")
    }

    func testALargeBacklogGoesInBatches() throws {
        let user = try createUser()
        for label in 1...7 { try session(user, expiresIn: -60, label: UInt8(label)) }
        try session(user, expiresIn: 60, label: 8)
        XCTAssertEqual(try Housekeeping(db: db, batchSize: 3).purgeExpired()?.sessions, 7)
        XCTAssertEqual(try sessionLabels(), [8])
    }

    func testSkipsWhileAnotherProcessIsPurging() throws {
        let user = try createUser()
        try session(user, expiresIn: -60, label: 1)
        let other = try Connection(conninfo)
        defer { other.close() }
        try other.query("SELECT pg_advisory_lock($1)", [Housekeeping.lockKey])
        XCTAssertNil(try Housekeeping(db: db).purgeExpired())
        XCTAssertEqual(try sessionLabels(), [1])

        try other.query("SELECT pg_advisory_unlock($1)", [Housekeeping.lockKey])
        XCTAssertEqual(try Housekeeping(db: db).purgeExpired()?.sessions, 1)
        // The lock was let go: another process can take it now.
        XCTAssertEqual(try other.query("SELECT pg_try_advisory_lock($1) AS locked", [Housekeeping.lockKey])[0].get("locked", as: Bool.self), true)
    }
}
