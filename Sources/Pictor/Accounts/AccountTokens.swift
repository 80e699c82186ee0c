// Single-use links sent by email (password reset, address confirmation): a random token in the
// link, only its SHA-256 in `account_tokens`, an expiry, and `used_at` once it has worked.

import Crypto
import Postgres

struct AccountTokens {
    enum Purpose: String {
        case passwordReset = "password_reset"
        case emailVerification = "email_verification"

        /// Seconds a link works.
        var lifetime: Int {
            switch self {
            case .passwordReset: 3600
            case .emailVerification: 7 * 86_400
            }
        }
    }

    let db: Connection

    /// A new token for the user; returns it (for the link) and keeps only its hash.
    func issue(_ purpose: Purpose, userID: Int64) throws -> String {
        let token = Crypto.randomToken(bytes: 32)
        try db.query("""
            INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at)
            VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8))
            """, [Crypto.sha256(token), userID, purpose.rawValue, purpose.lifetime])
        return token
    }

    /// The user a live (unused, unexpired) token belongs to, without using it.
    func owner(of token: String, _ purpose: Purpose) throws -> Int64? {
        guard let hash = SessionStore.hash(token: token) else { return nil }
        return try db.query("""
            SELECT user_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
            """, [hash, purpose.rawValue]).first?.get("user_id")
    }

    /// Uses a live token: marks it used and returns its user, or nil (unknown, used or expired).
    /// Two requests racing with one link: the row lock lets one through.
    func redeem(_ token: String, _ purpose: Purpose) throws -> Int64? {
        guard let hash = SessionStore.hash(token: token) else { return nil }
        return try db.query("""
            UPDATE account_tokens SET used_at = now()
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() RETURNING user_id
            """, [hash, purpose.rawValue]).first?.get("user_id")
    }

    /// Ends every other live link of the user for `purpose` (a reset done makes older ones void).
    func revokeAll(_ purpose: Purpose, userID: Int64) throws {
        try db.query("UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
                     [userID, purpose.rawValue])
    }
}
