// Deletes rows that only grow stale: expired sessions, rate-limit windows that have ended,
// expired emailed links, sign-ins with a provider never finished, and mail sent more than 30
// days ago.

import Postgres

/// Purges expired rows; `pictor worker` runs it every few minutes. Every worker on every host may
/// call it at the same moment: an advisory lock lets one through and the others return at once.
public struct Housekeeping {
    /// What one run deleted.
    public struct Purged: Equatable, Sendable, CustomStringConvertible {
        public var sessions = 0
        public var rateLimits = 0
        public var links = 0
        public var mail = 0
        public var signIns = 0

        public init(sessions: Int = 0, rateLimits: Int = 0, links: Int = 0, mail: Int = 0, signIns: Int = 0) {
            self.sessions = sessions
            self.rateLimits = rateLimits
            self.links = links
            self.mail = mail
            self.signIns = signIns
        }

        public var isEmpty: Bool { sessions == 0 && rateLimits == 0 && links == 0 && mail == 0 && signIns == 0 }
        public var description: String {
            "\(sessions) expired session(s), \(rateLimits) ended rate-limit window(s), \(links) expired emailed link(s), "
                + "\(signIns) unfinished provider sign-in(s) and \(mail) old sent mail(s)"
        }
    }

    /// Arbitrary constant shared by every Pictor process ("PICTOR" in ASCII, plus 2; the migrator uses 1).
    static let lockKey: Int64 = 0x5049_4354_4F52_02

    private let db: Connection
    private let batchSize: Int

    /// - Parameter batchSize: rows deleted per statement; a large backlog goes in several short
    ///   statements instead of one that holds its locks for long.
    public init(db: Connection, batchSize: Int = 10_000) {
        self.db = db
        self.batchSize = max(1, batchSize)
    }

    /// Deletes every session past its expiry and every rate-limit row whose window has ended.
    /// Returns nil, having done nothing, when another process holds the lock (is purging now).
    public func purgeExpired() throws -> Purged? {
        guard try db.query("SELECT pg_try_advisory_lock($1) AS locked", [Self.lockKey])[0].get("locked", as: Bool.self) else {
            return nil
        }
        // A session lock: if this connection dies, the server releases it with the session.
        defer { _ = try? db.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        // SessionStore.lookup treats `expires_at <= now()` as logged out, so these are unreachable.
        let sessions = try purge("""
            DELETE FROM sessions WHERE token_hash IN (
                SELECT token_hash FROM sessions WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
            """)
        // RateLimiter only reads the current window; a row whose window ended counts nothing.
        let rateLimits = try purge("""
            DELETE FROM rate_limits WHERE (key, window_start) IN (
                SELECT key, window_start FROM rate_limits WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
            """)
        // A link past its expiry can never work again (AccountTokens checks expires_at).
        let links = try purge("""
            DELETE FROM account_tokens WHERE token_hash IN (
                SELECT token_hash FROM account_tokens WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
            """)
        // Sent mail is kept a month for support questions ("did you send it?"), then its text
        // (reset links, addresses) goes. Mail that failed stays for the operator to look at.
        let mail = try purge("""
            DELETE FROM email_outbox WHERE id IN (
                SELECT id FROM email_outbox WHERE status IN ('sent', 'logged') AND sent_at <= now() - interval '30 days'
                LIMIT $1 FOR UPDATE SKIP LOCKED)
            """)
        // OAuthAttempts.finish refuses an attempt past its ten minutes.
        let signIns = try purge("""
            DELETE FROM oauth_attempts WHERE state_hash IN (
                SELECT state_hash FROM oauth_attempts WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
            """)
        return Purged(sessions: sessions, rateLimits: rateLimits, links: links, mail: mail, signIns: signIns)
    }

    /// Runs a batched DELETE until a batch comes back short.
    private func purge(_ sql: String) throws -> Int {
        var total = 0
        while true {
            let deleted = try db.query(sql, [batchSize]).affectedRows
            total += deleted
            if deleted < batchSize { return total }
        }
    }
}
