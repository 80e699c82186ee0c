// The low-credit email: queued in the transaction of the debit that takes a balance below
// `accounts.low_credit_threshold`, once per crossing (the balance must climb back to the
// threshold or above before the next debit can cross it again).

import Foundation
import Postgres

struct LowCreditAlert {
    let threshold: Int
    let site: String
    let publicURL: String

    init(_ config: Config) {
        threshold = config.accounts.lowCreditThreshold
        site = config.site.name
        publicURL = config.site.publicURL
    }

    /// Call after debiting `amount` credits from the user, in the same transaction (the debit's
    /// ledger row holds the account's row lock, so the balance read here is the one it left).
    func afterDebit(userID: Int64, amount: Int, db: Connection) throws {
        guard threshold > 0, amount > 0 else { return }
        let crossed = try db.query("""
            UPDATE users SET low_credit_notified_at = now() WHERE id = $1 AND credits < $2 AND credits + $3 >= $2
            RETURNING email, credits
            """, [userID, threshold, amount])
        guard let row = crossed.first else { return }
        let mail = Emails.lowCredit(to: try row.get("email"), balance: try row.get("credits"), pricing: publicURL + "/pricing", site: site)
        try Outbox(db: db).queue(mail, userID: userID, siteHost: Self.host(of: publicURL))
    }

    /// "pictor.example.com" of "https://pictor.example.com:8443/x".
    static func host(of url: String) -> String {
        URLComponents(string: url)?.host ?? "localhost"
    }
}
