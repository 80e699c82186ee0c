// API keys: `pk_` + a random secret, shown once, stored as SHA-256, revocable.

import Crypto
import Foundation
import Postgres

public struct APIKey: Sendable {
    public let id: Int64
    public let name: String
    /// The first characters of the secret, so people can tell their keys apart.
    public let prefix: String
    public let createdAt: Date
    public let lastUsedAt: Date?
    public let revokedAt: Date?
}

public struct APIKeyStore {
    static let secretPrefix = "pk_"
    /// Writing last_used_at at most once a minute keeps a write off most API calls.
    static let touchAfter: TimeInterval = 60

    let db: Connection

    public init(db: Connection) { self.db = db }

    /// Creates a key; the returned secret is the only time it exists outside the client.
    public func create(userID: Int64, name rawName: String) throws -> (key: APIKey, secret: String) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100, !name.contains(where: { $0.isNewline || $0 == "\t" }) else {
            throw AccountError(message: "Give the key a name of 1 to 100 characters, on one line.")
        }
        let secret = Self.secretPrefix + Crypto.randomToken(bytes: 32)
        let prefix = String(secret.prefix(Self.secretPrefix.count + 8))
        let row = try db.query("""
            INSERT INTO api_keys (user_id, name, prefix, key_hash) VALUES ($1, $2, $3, $4)
            RETURNING id, name, prefix, created_at, last_used_at, revoked_at
            """, [userID, name, prefix, Crypto.sha256(secret)])[0]
        return (try Self.key(row), secret)
    }

    public func list(userID: Int64) throws -> [APIKey] {
        try db.query("""
            SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys
            WHERE user_id = $1 ORDER BY revoked_at IS NOT NULL, id DESC
            """, [userID]).map(Self.key)
    }

    /// Revokes every live key of the user (after a password change, when they ask); the count.
    @discardableResult
    public func revokeAll(userID: Int64) throws -> Int {
        try db.query("UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", [userID]).affectedRows
    }

    /// Revokes one of the user's keys; false when there is no such live key of theirs.
    public func revoke(userID: Int64, keyID: Int64) throws -> Bool {
        try db.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
                     [keyID, userID]).affectedRows == 1
    }

    /// The owner of a live key, or nil for unknown, malformed or revoked keys.
    func authenticate(secret: String) throws -> User? {
        guard secret.hasPrefix(Self.secretPrefix), secret.utf8.count < 200 else { return nil }
        let rows = try db.query("""
            SELECT \(User.columns), k.id AS key_id, k.last_used_at FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL
            """, [Crypto.sha256(secret)])
        guard let row = rows.first else { return nil }
        let lastUsed: Date? = try row.get("last_used_at")
        if lastUsed.map({ Date().timeIntervalSince($0) > Self.touchAfter }) ?? true {
            try db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [try row.get("key_id", as: Int64.self)])
        }
        return try User(row: row)
    }

    private static func key(_ row: Row) throws -> APIKey {
        APIKey(id: try row.get("id"), name: try row.get("name"), prefix: try row.get("prefix"),
               createdAt: try row.get("created_at"), lastUsedAt: try row.get("last_used_at"),
               revokedAt: try row.get("revoked_at"))
    }
}
