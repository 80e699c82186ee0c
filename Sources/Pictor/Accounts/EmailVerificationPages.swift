// Confirming an address: a link mailed at sign-up (and again on request from /account). With
// `accounts.bonus_after_verification` the sign-up bonus is granted only then.

import Foundation
import Postgres
import Templates

enum EmailVerificationPages {
    /// Queues the confirmation mail, in the caller's transaction (sign-up's, or a resend's).
    static func queueLink(for user: User, db: Connection, config: Config) throws {
        let token = try AccountTokens(db: db).issue(.emailVerification, userID: user.id)
        let bonus = config.accounts.bonusAfterVerification && config.accounts.signupBonus > 0 ? config.accounts.signupBonus : nil
        let mail = Emails.emailVerification(to: user.email, link: config.site.publicURL + "/email/verify?token=" + token,
                                            site: config.site.name, bonus: bonus)
        try Outbox(db: db).queue(mail, userID: user.id, siteHost: LowCreditAlert.host(of: config.site.publicURL))
    }

    /// GET /email/verify?token=…: a link from the mail. Works once; an address already confirmed
    /// stays confirmed.
    @Sendable static func verify(_ context: inout RequestContext) throws -> Reply {
        let token = try context.query()["token"] ?? ""
        let config = context.app.config
        let outcome: EmailVerifiedPage.Outcome = try context.db().transaction { db in
            guard let userID = try AccountTokens(db: db).redeem(token, .emailVerification) else { return .invalidLink }
            return .confirmed(bonus: try confirmAddress(userID: userID, db: db, config: config))
        }
        if case .invalidLink = outcome { return .page(EmailVerifiedPage(outcome: outcome), status: 400) }
        return .page(EmailVerifiedPage(outcome: outcome))
    }

    /// Marks the address confirmed (a link, or a sign-in provider that verified it) in the
    /// caller's transaction, and voids the account's other confirmation links. With
    /// `bonus_after_verification`, a first confirmation adds the sign-up bonus; returns it then.
    static func confirmAddress(userID: Int64, db: Connection, config: Config) throws -> Int? {
        try AccountTokens(db: db).revokeAll(.emailVerification, userID: userID)
        let confirmed = try db.query("UPDATE users SET email_verified_at = now(), updated_at = now() WHERE id = $1 AND email_verified_at IS NULL",
                                     [userID]).affectedRows == 1
        guard confirmed, config.accounts.bonusAfterVerification, config.accounts.signupBonus > 0 else { return nil }
        // Never a second welcome: an account made while the bonus came at sign-up has had it.
        let hadBonus = try !db.query("SELECT 1 FROM transactions WHERE user_id = $1 AND kind = 'bonus'", [userID]).isEmpty
        guard !hadBonus else { return nil }
        try Ledger(db: db).append(userID: userID, amount: config.accounts.signupBonus, kind: .bonus, reason: "Welcome credits (address confirmed)")
        return config.accounts.signupBonus
    }

    /// POST /account/verify-email: sends the link again (three times an hour at most).
    @Sendable static func resend(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        guard !user.emailVerified else { return .redirect(to: "/account") }
        let limiter = RateLimiter(db: try context.db())
        let key = "verify:user:\(user.id)"
        guard try limiter.hit([key], window: 3600)[0] <= 3 else {
            let retryAfter = try limiter.current(key, window: 3600).retryAfter
            throw HTTPError(429, code: "rate_limited", message: "We sent you several links already. Try again in \((retryAfter + 59) / 60) minute(s).",
                            headers: ["Retry-After": String(retryAfter)])
        }
        let config = context.app.config
        try context.db().transaction { db in try queueLink(for: user, db: db, config: config) }
        context.notify(.verificationSent)
        return .redirect(to: "/account")
    }
}

/// /email/verify.
struct EmailVerifiedPage: PageModel {
    enum Outcome: Sendable {
        case confirmed(bonus: Int?)
        case invalidLink
    }

    static let template = "email-verified"
    let outcome: Outcome

    var title: String {
        if case .invalidLink = outcome { return "This link does not work any more" }
        return "Address confirmed"
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["heading": .text(title)]
        switch outcome {
        case .confirmed(let bonus):
            fields.add("confirmed", true)
            fields.add("message", "Thank you: your email address is confirmed."
                       + (bonus.map { " \(Format.number($0)) free credits were added to your account." } ?? ""))
        case .invalidLink:
            fields.add("message", "The link is unknown, was used already, or has expired. Log in and ask for a new one on your account page.")
        }
        return fields
    }
}
