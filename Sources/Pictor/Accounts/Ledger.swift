// The credit ledger: every change of a balance is a transactions row (the database trigger
// applies it to users.credits and refuses a balance below zero).

import Foundation
import Postgres

public enum LedgerKind: String, Sendable, CaseIterable {
    case bonus, usage, refund, purchase, subscription, grant, revoke

    /// How the account page names it.
    var label: String {
        switch self {
        case .bonus: return "Sign-up bonus"
        case .usage: return "Generation"
        case .refund: return "Refund"
        case .purchase: return "Purchase"
        case .subscription: return "Subscription"
        case .grant: return "Granted by admin"
        case .revoke: return "Removed by admin"
        }
    }
}

/// One ledger row.
public struct LedgerEntry: Sendable {
    public let id: Int64
    public let amount: Int
    public let kind: LedgerKind
    public let reason: String?
    public let createdAt: Date
}

public struct Ledger {
    let db: Connection

    public init(db: Connection) { self.db = db }

    /// Appends a row; the balance follows in the same statement (the database trigger). Throws
    /// `insufficientCredits` when a debit would take the balance below zero. The one place
    /// `transactions` is written: callers in a transaction get the row in that transaction.
    public func append(userID: Int64, amount: Int, kind: LedgerKind, reason: String?, generationID: UUID? = nil) throws {
        do {
            try db.query("INSERT INTO transactions (user_id, amount, kind, reason, generation_id) VALUES ($1, $2, $3, $4, $5)",
                         [userID, amount, kind.rawValue, reason, generationID])
        } catch let error as PostgresError where error.isCheckViolation && error.constraint == "users_credits_nonnegative" {
            throw LedgerError.insufficientCredits
        }
    }

    /// Charges a generation its cost (a `usage` row linked to it; at most one per generation).
    func charge(_ generation: Generation, reason: String) throws {
        guard generation.creditCost > 0 else { return }
        try append(userID: generation.userID, amount: -generation.creditCost, kind: .usage, reason: reason,
                   generationID: generation.id)
    }

    /// Gives a generation's cost back (a `refund` row linked to it; a unique index refuses a
    /// second one, so a refund can never be paid twice).
    func refund(_ generation: Generation, reason: String) throws {
        guard generation.creditCost > 0 else { return }
        try append(userID: generation.userID, amount: generation.creditCost, kind: .refund, reason: reason,
                   generationID: generation.id)
    }

    /// Newest first, `limit` rows with ids below `before` (keyset pagination). Two statements
    /// rather than one with an optional cursor: the cached plan of each then starts reading
    /// transactions_user_id_idx at the newest row or at the cursor, where `($2 IS NULL OR id < $2)`
    /// could only be a filter on rows already read. A kind this build does not know throws.
    public func entries(userID: Int64, before: Int64?, limit: Int) throws -> [LedgerEntry] {
        let select = "SELECT id, amount, kind, reason, created_at FROM transactions"
        let rows = if let before {
            try db.query(select + " WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3", [userID, before, limit])
        } else {
            try db.query(select + " WHERE user_id = $1 ORDER BY id DESC LIMIT $2", [userID, limit])
        }
        return try rows.map { row in
            LedgerEntry(id: try row.get("id"), amount: try row.get("amount"), kind: try row.get("kind"),
                        reason: try row.get("reason"), createdAt: try row.get("created_at"))
        }
    }

    /// The sum of the user's ledger rows (equal to users.credits; checked by tests and admins).
    public func sum(userID: Int64) throws -> Int {
        try db.query("SELECT coalesce(sum(amount), 0)::int AS total FROM transactions WHERE user_id = $1", [userID])[0].get("total")
    }
}

public enum LedgerError: Error, Equatable {
    case insufficientCredits
}
