// Creating accounts and checking passwords: shared by the web pages and `pictor admin`.

import Crypto
import Foundation
import Postgres

/// Account operations on one database connection.
public struct AccountStore {
    let db: Connection
    let hasher: PasswordHasher

    public init(db: Connection, hasher: PasswordHasher = PasswordHasher()) {
        self.db = db
        self.hasher = hasher
    }

    /// Creates the user and credits the sign-up bonus with its ledger row, in one transaction.
    /// The password is hashed before the address is looked at, so a taken address
    /// (`AccountError.emailTaken`) costs about as long as a free one.
    /// `welcome` runs inside that transaction with the new account (the sign-up page queues the
    /// address-confirmation mail there), so a failure there creates nothing.
    public func create(email rawEmail: String, password: String, signupBonus: Int, commonPasswords: CommonPasswords,
                       welcome: ((Connection, User) throws -> Void)? = nil) throws -> User {
        let email = try Credentials.normalizedEmail(rawEmail)
        try Credentials.validatePassword(password, common: commonPasswords)
        let hash = hasher.hash(password)
        do {
            return try db.transaction { db in
                let id: Int64 = try db.query(
                    "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id", [email, hash])[0].get("id")
                if signupBonus > 0 {
                    try Ledger(db: db).append(userID: id, amount: signupBonus, kind: .bonus, reason: "Welcome credits")
                }
                let user = try find(id: id, in: db)!
                try welcome?(db, user)
                return user
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AccountError.emailTaken
        }
    }

    /// Creates an account for an address a sign-in provider has verified: no password (the
    /// provider signs it in), the address confirmed, and the sign-up bonus with its ledger row.
    /// `welcome` runs in the same transaction (the caller links the identity there). A taken
    /// address throws `AccountError.emailTaken`.
    func createVerified(email: String, signupBonus: Int, welcome: (Connection, User) throws -> Void) throws -> User {
        do {
            return try db.transaction { db in
                let id: Int64 = try db.query(
                    "INSERT INTO users (email, password_hash, email_verified_at) VALUES ($1, NULL, now()) RETURNING id", [email])[0].get("id")
                if signupBonus > 0 {
                    try Ledger(db: db).append(userID: id, amount: signupBonus, kind: .bonus, reason: "Welcome credits")
                }
                let user = try find(id: id, in: db)!
                try welcome(db, user)
                return user
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw AccountError.emailTaken
        }
    }

    /// The user with this email and password, or nil. Takes about as long whether or not the
    /// email exists, so the answer does not reveal which accounts exist.
    public func authenticate(email rawEmail: String, password: String) throws -> User? {
        guard let email = try? Credentials.normalizedEmail(rawEmail) else {
            _ = hasher.verify(password, against: Self.decoyHash)
            return nil
        }
        let rows = try db.query("SELECT \(User.columns), u.password_hash FROM users u WHERE u.email = $1", [email])
        guard let row = rows.first else {
            _ = hasher.verify(password, against: Self.decoyHash)
            return nil
        }
        // An account made by a sign-in provider has no password: none matches, at the same cost.
        guard let stored: String = try row.get("password_hash") else {
            _ = hasher.verify(password, against: Self.decoyHash)
            return nil
        }
        guard hasher.verify(password, against: stored) else { return nil }
        if hasher.needsRehash(stored) {
            try db.query("UPDATE users SET password_hash = $2 WHERE id = $1", [try row.get("id", as: Int64.self), hasher.hash(password)])
        }
        return try User(row: row)
    }

    /// Changes the password after checking the current one.
    public func changePassword(userID: Int64, current: String, new: String, commonPasswords: CommonPasswords) throws {
        let rows = try db.query("SELECT password_hash FROM users WHERE id = $1", [userID])
        guard let row = rows.first, let stored: String = try row.get("password_hash") else { throw AccountError.noPasswordYet }
        guard hasher.verify(current, against: stored) else {
            throw AccountError.wrongCurrentPassword
        }
        try Credentials.validatePassword(new, common: commonPasswords)
        try db.query("UPDATE users SET password_hash = $2 WHERE id = $1", [userID, hasher.hash(new)])
    }

    /// Sets a new password without the current one (a reset link proved the address), and ends
    /// every session of the account, in one transaction with whatever the caller did before.
    func resetPassword(userID: Int64, new: String, commonPasswords: CommonPasswords) throws {
        try Credentials.validatePassword(new, common: commonPasswords)
        try db.query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", [userID, hasher.hash(new)])
        try db.query("DELETE FROM sessions WHERE user_id = $1", [userID])
    }

    public func find(id: Int64) throws -> User? { try find(id: id, in: db) }

    public func find(email rawEmail: String) throws -> User? {
        let email = try Credentials.normalizedEmail(rawEmail)
        return try db.query("SELECT \(User.columns) FROM users u WHERE u.email = $1", [email]).first.map(User.init(row:))
    }

    func find(id: Int64, in db: Connection) throws -> User? {
        try db.query("SELECT \(User.columns) FROM users u WHERE u.id = $1", [id]).first.map(User.init(row:))
    }

    /// A real scrypt hash of a random password: unknown emails are checked against it so a
    /// failed login costs the same either way.
    static let decoyHash = PasswordHasher().hash(Crypto.randomToken())
}
