// The credit ledger: every change of a balance is a transactions row (the database trigger
// applies it to users.credits and refuses a balance below zero).

import Foundation
import Postgres

public enum LedgerKind: String, Sendable, CaseIterable {
    case bonus, usage, refund, purchase, subscription, grant, revoke, allowance

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
        case .allowance: return "Free plan monthly credits"
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

    /// Adds credits Stripe was paid for: a `purchase` row carrying the Stripe ids. Returns false,
    /// adding nothing, when this Checkout Session, invoice or event has credited already (a
    /// redelivery, or the other event about the same payment): the unique indexes on those
    /// columns decide, so two deliveries racing each other still credit once.
    func purchase(userID: Int64, credits: Int, reason: String, payment: StripePayment) throws -> Bool {
        let inserted = try db.query("""
            INSERT INTO transactions (user_id, amount, kind, reason, stripe_event_id, stripe_checkout_session_id,
                                      stripe_invoice_id, stripe_subscription_id)
            VALUES ($1, $2, 'purchase', $3, $4, $5, $6, $7)
            ON CONFLICT DO NOTHING RETURNING id
            """, [userID, credits, reason, payment.eventID, payment.checkoutSessionID, payment.invoiceID, payment.subscriptionID])
        return !inserted.isEmpty
    }

    /// Tops up to `batchSize` users on `plan` who have not had this calendar month's (UTC)
    /// credits back up to `credits`, never above, with an `allowance` row each, and marks them
    /// served. Row locks make it safe for several workers at once: each user is served once.
    /// Returns how many users were served (a short batch means none are left) and topped up.
    /// With `onlyVerified`, accounts whose address is not confirmed wait (as their sign-up bonus does).
    func refillMonthly(plan: String, credits: Int, onlyVerified: Bool = false, batchSize: Int) throws -> (served: Int, toppedUp: Int) {
        try db.transaction { db in
            let served = try db.query("""
                WITH month AS (SELECT (date_trunc('month', now() AT TIME ZONE 'UTC'))::date AS first_day),
                due AS (
                    SELECT users.id FROM users, month
                    WHERE plan = $1 AND (free_credits_month IS NULL OR free_credits_month < month.first_day)
                      AND (NOT $3 OR email_verified_at IS NOT NULL)
                    ORDER BY users.id LIMIT $2 FOR UPDATE OF users SKIP LOCKED)
                UPDATE users SET free_credits_month = month.first_day FROM due, month WHERE users.id = due.id
                RETURNING users.id, users.credits, to_char(month.first_day, 'FMMonth YYYY') AS month
                """, [plan, batchSize, onlyVerified])
            var toppedUp = 0
            for row in served {
                let balance: Int = try row.get("credits")
                guard balance < credits else { continue }
                let month: String = try row.get("month")
                try append(userID: try row.get("id"), amount: credits - balance, kind: .allowance,
                           reason: "Free plan credits for \(month)")
                toppedUp += 1
            }
            return (served.count, toppedUp)
        }
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

/// The Stripe ids a paid-for credit carries.
struct StripePayment {
    var eventID: String
    var checkoutSessionID: String?
    var invoiceID: String?
    var subscriptionID: String?
}

public enum LedgerError: Error, Equatable {
    case insufficientCredits
}
