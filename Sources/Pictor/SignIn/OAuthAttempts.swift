// Sign-ins under way: what Pictor must remember between sending the browser to the provider and
// the provider sending it back. The `state` goes to the provider and into a cookie of the
// browser that asked; only its hash is stored, next to the PKCE verifier, which never leaves
// the server. Each attempt works once and for ten minutes.

import Crypto
import Postgres

struct OAuthAttempts {
    /// Seconds someone has to consent at the provider.
    static let lifetime = 600
    /// Holds the state in the browser that started the sign-in (HttpOnly; SameSite=Lax, which
    /// browsers still send on the provider's top-level redirect back).
    static let cookieName = "pictor_oauth_state"

    /// A sign-in that was started and not yet finished.
    struct Attempt {
        let provider: SignInProvider
        let verifier: String
        let nextPath: String?
        /// Set when a signed-in user is connecting the provider to their account.
        let linkUserID: Int64?
    }

    let db: Connection

    /// Records a new attempt; returns its state (for the provider and the cookie) and verifier.
    func begin(_ provider: SignInProvider, next: String?, linkUserID: Int64?) throws -> (state: String, verifier: String) {
        let state = Crypto.randomToken(bytes: 32)
        // 32 random bytes in base64url: 43 characters, within PKCE's 43…128 unreserved characters.
        let verifier = Crypto.randomToken(bytes: 32)
        try db.query("""
            INSERT INTO oauth_attempts (state_hash, provider, code_verifier, next_path, link_user_id, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::float8))
            """, [Crypto.sha256(state), provider.rawValue, verifier, next, linkUserID, Self.lifetime])
        return (state, verifier)
    }

    /// Takes the attempt with this state off the table and returns it if it was still live. A
    /// state works once: a replayed answer from the provider finds nothing.
    func finish(state: String) throws -> Attempt? {
        guard state.utf8.count == 43 else { return nil }
        guard let row = try db.query("""
            DELETE FROM oauth_attempts WHERE state_hash = $1
            RETURNING provider, code_verifier, next_path, link_user_id, expires_at > now() AS live
            """, [Crypto.sha256(state)]).first, try row.get("live", as: Bool.self),
              let provider = SignInProvider(rawValue: try row.get("provider")) else { return nil }
        return Attempt(provider: provider, verifier: try row.get("code_verifier"), nextPath: try row.get("next_path"),
                       linkUserID: try row.get("link_user_id"))
    }
}
