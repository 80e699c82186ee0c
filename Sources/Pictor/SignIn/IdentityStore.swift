// The provider identities linked to accounts: which Google or GitHub account signs into which
// Pictor account.

import Foundation
import Postgres

/// A provider account linked to a Pictor account.
struct Identity: Sendable {
    let id: Int64
    let provider: SignInProvider
    /// The verified address the provider gave at the last sign-in.
    let email: String
    let createdAt: Date
    let lastUsedAt: Date
}

struct IdentityStore {
    let db: Connection

    func list(userID: Int64) throws -> [Identity] {
        try db.query("""
            SELECT id, provider, email, created_at, last_used_at FROM user_identities WHERE user_id = $1 ORDER BY created_at, id
            """, [userID]).compactMap { row in
            guard let provider = SignInProvider(rawValue: try row.get("provider")) else { return nil }
            return Identity(id: try row.get("id"), provider: provider, email: try row.get("email"),
                            createdAt: try row.get("created_at"), lastUsedAt: try row.get("last_used_at"))
        }
    }

    /// The account this provider account signs into, noting the sign-in and the address the
    /// provider gave this time.
    func signIn(_ provider: SignInProvider, subject: String, email: String) throws -> Int64? {
        try db.query("""
            UPDATE user_identities SET last_used_at = now(), email = $3 WHERE provider = $1 AND subject = $2 RETURNING user_id
            """, [provider.rawValue, subject, email]).first?.get("user_id")
    }

    func link(userID: Int64, _ provider: SignInProvider, subject: String, email: String) throws {
        try db.query("INSERT INTO user_identities (user_id, provider, subject, email) VALUES ($1, $2, $3, $4)",
                     [userID, provider.rawValue, subject, email])
    }

    enum UnlinkOutcome: Equatable {
        case unlinked(SignInProvider)
        case notFound
        /// It is the account's only way to sign in: no password and no other identity.
        case lastWayToSignIn
    }

    /// Removes an identity if the account keeps another way to sign in. The account's row is
    /// locked first, so two unlinks at once cannot remove the last two ways together.
    func unlink(identityID: Int64, userID: Int64) throws -> UnlinkOutcome {
        try db.transaction { db in
            guard let user = try db.query("SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = $1 FOR UPDATE",
                                          [userID]).first else { return .notFound }
            let identities = try IdentityStore(db: db).list(userID: userID)
            guard let identity = identities.first(where: { $0.id == identityID }) else { return .notFound }
            guard try user.get("has_password", as: Bool.self) || identities.count > 1 else { return .lastWayToSignIn }
            try db.query("DELETE FROM user_identities WHERE id = $1 AND user_id = $2", [identityID, userID])
            return .unlinked(identity.provider)
        }
    }
}
