// What a verified provider identity does to accounts: sign into the account it is linked to, or
// into the account with its verified address (linking it), or make a new account; and connect
// it to a signed-in account from /account.

import Postgres

struct ProviderSignIn {
    let db: Connection
    let config: Config

    /// Who a provider sign-in ended as.
    enum Outcome {
        /// The identity was linked already, or its verified address matched a confirmed account.
        case existing(User)
        /// Its verified address matched an account whose address was never confirmed: whoever
        /// made that account may not own the address, so its password, sessions and API keys
        /// were ended and the address is now confirmed.
        case claimed(User, bonus: Int?)
        /// A new account, exactly like a password sign-up's but with the address confirmed.
        case created(User)

        var user: User {
            switch self {
            case .existing(let user), .claimed(let user, _), .created(let user): user
            }
        }
    }

    /// Signs in with a verified identity; `address` is the client's, for the sign-up limit.
    func signIn(_ provider: SignInProvider, subject: String, email: String, address: String) throws -> Outcome {
        // A second pass only when a sign-up with the same address or identity won a race.
        for pass in 1...2 {
            do {
                if let outcome = try existingAccount(provider, subject: subject, email: email) { return outcome }
                try SignupLimit(db: db, config: config.accounts).admit(address: address)
                let user = try AccountStore(db: db).createVerified(email: email, signupBonus: config.accounts.signupBonus) { db, user in
                    try IdentityStore(db: db).link(userID: user.id, provider, subject: subject, email: email)
                }
                return .created(user)
            } catch let error as AccountError where error == .emailTaken && pass == 1 {
                continue
            } catch let error as PostgresError where error.isUniqueViolation && pass == 1 {
                continue
            }
        }
        throw AccountError.emailTaken   // not reached: the second pass finds the account
    }

    /// The account this identity or its address already has, in one transaction.
    private func existingAccount(_ provider: SignInProvider, subject: String, email: String) throws -> Outcome? {
        let config = config
        return try db.transaction { db -> Outcome? in
            let accounts = AccountStore(db: db)
            if let userID = try IdentityStore(db: db).signIn(provider, subject: subject, email: email) {
                return try accounts.find(id: userID, in: db).map(Outcome.existing)
            }
            guard let row = try db.query("SELECT id, email_verified_at IS NOT NULL AS verified FROM users WHERE email = $1 FOR UPDATE",
                                         [email]).first else { return nil }
            let userID: Int64 = try row.get("id")
            try IdentityStore(db: db).link(userID: userID, provider, subject: subject, email: email)
            guard try !row.get("verified", as: Bool.self) else { return try accounts.find(id: userID, in: db).map(Outcome.existing) }
            try db.query("UPDATE users SET password_hash = NULL, updated_at = now() WHERE id = $1", [userID])
            try db.query("DELETE FROM sessions WHERE user_id = $1", [userID])
            _ = try APIKeyStore(db: db).revokeAll(userID: userID)
            try AccountTokens(db: db).revokeAll(.passwordReset, userID: userID)
            let bonus = try EmailVerificationPages.confirmAddress(userID: userID, db: db, config: config)
            return try accounts.find(id: userID, in: db).map { .claimed($0, bonus: bonus) }
        }
    }

    enum ConnectOutcome: Equatable {
        case linked
        case alreadyLinked
        /// The provider account signs into another Pictor account.
        case linkedToAnother
    }

    /// Adds the identity to a signed-in account (from /account).
    func connect(_ provider: SignInProvider, subject: String, email: String, to user: User) throws -> ConnectOutcome {
        let inserted = try db.query("""
            INSERT INTO user_identities (user_id, provider, subject, email) VALUES ($1, $2, $3, $4)
            ON CONFLICT (provider, subject) DO NOTHING RETURNING id
            """, [user.id, provider.rawValue, subject, email])
        if !inserted.isEmpty { return .linked }
        let owner: Int64? = try db.query("SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2",
                                         [provider.rawValue, subject]).first?.get("user_id")
        return owner == user.id ? .alreadyLinked : .linkedToAnother
    }
}
