// Login sessions: a random token in a cookie, only its SHA-256 in the database, 30 days sliding.

import Codecs
import Crypto
import Foundation
import Postgres

/// A logged-in browser.
public struct Session: Sendable {
    public let user: User
    /// Every state-changing form and cookie-authenticated API call must echo this.
    public let csrfToken: String
    let tokenHash: [UInt8]
    /// True when this request pushed the expiry forward (the cookie is sent again then).
    var extended = false
}

/// Whose rows a statement reads: a user known by id, or the user of the live session stored
/// under a token hash, for a statement sent in the same round trip as the session lookup.
enum Owner {
    case user(Int64)
    case session(tokenHash: [UInt8])
}

struct SessionStore {
    static let cookieName = "pictor_session"
    static let lifetime = 30 * 24 * 3600
    /// Extending at most once an hour keeps a write off almost every request.
    static let extendAfter: TimeInterval = 3600

    let db: Connection

    /// Starts a session; returns the cookie token (never stored) and the session.
    func create(for user: User) throws -> (token: String, session: Session) {
        let token = Crypto.randomToken(bytes: 32)
        let hash = Crypto.sha256(token)
        let csrf = Crypto.randomToken(bytes: 32)
        try db.query("""
            INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)
            VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8))
            """, [hash, user.id, csrf, Self.lifetime])
        return (token, Session(user: user, csrfToken: csrf, tokenHash: hash))
    }

    /// The live session for a cookie token, extended when it was last extended over an hour
    /// ago. Unknown, malformed or expired tokens are nil (logged out).
    func find(token: String) throws -> Session? {
        guard let hash = Self.hash(token: token) else { return nil }
        return try session(from: db.run(Self.lookup(hash)), tokenHash: hash)
    }

    /// What a cookie token is stored as, or nil if it cannot be one of ours.
    static func hash(token: String) -> [UInt8]? {
        guard let raw = Base64URL.decode(token), raw.count == 32 else { return nil }
        return Crypto.sha256(token)
    }

    /// Finds the live session stored under `hash`; read its rows with `session(from:tokenHash:)`.
    /// A statement, so a page can send it together with its own (`RequestContext.requireUser(with:)`).
    static func lookup(_ hash: [UInt8]) -> Statement {
        Statement("""
            SELECT \(User.columns), s.csrf_token, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = $1 AND s.expires_at > now()
            """, [hash])
    }

    /// The user of the live session stored under the hash bound to `$`, as a subquery; it
    /// agrees with `lookup` when both run in one pipeline (one snapshot).
    static let liveUserID = "(SELECT s.user_id FROM sessions s WHERE s.token_hash = $ AND s.expires_at > now())"

    /// The session `lookup` found, if any, extended when it was last extended over an hour ago.
    func session(from rows: Rows, tokenHash hash: [UInt8]) throws -> Session? {
        guard let row = rows.first else { return nil }
        var session = Session(user: try User(row: row), csrfToken: try row.get("csrf_token"), tokenHash: hash)
        let lastSeen: Date = try row.get("last_seen_at")
        if Date().timeIntervalSince(lastSeen) > Self.extendAfter {
            try db.query("""
                UPDATE sessions SET last_seen_at = now(), expires_at = now() + make_interval(secs => $2::float8)
                WHERE token_hash = $1
                """, [hash, Self.lifetime])
            session.extended = true
        }
        return session
    }

    func delete(_ session: Session) throws {
        try db.query("DELETE FROM sessions WHERE token_hash = $1", [session.tokenHash])
    }

    /// Ends every other session of the user (after a password change).
    func deleteOthers(of session: Session) throws {
        try db.query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", [session.user.id, session.tokenHash])
    }
}
