// "Forgot password?": a single-use link by email, valid for an hour, that lets the owner choose
// a new password and ends every session of the account. The answer never says whether an
// address has an account.

import Foundation
import Postgres

enum PasswordResetPages {
    @Sendable static func forgotForm(_ context: inout RequestContext) throws -> Reply {
        .page(ForgotPasswordPage(csrfToken: try context.csrfToken()))
    }

    @Sendable static func forgot(_ context: inout RequestContext) throws -> Reply {
        let email = try context.form()["email"] ?? ""
        var page = ForgotPasswordPage(csrfToken: try context.csrfToken(), email: email)
        guard let normalized = try? Credentials.normalizedEmail(email) else {
            page.error = AccountError.invalidEmail.message
            return .page(page, status: 400)
        }
        if let retryAfter = try throttle(normalized, address: context.request.remoteAddress, context: context) {
            page.error = "Too many reset requests. Try again in \((retryAfter + 59) / 60) minute(s)."
            return Reply.page(page, status: 429).header("Retry-After", String(retryAfter))
        }
        let config = context.app.config
        let db = try context.db()
        if let user = try AccountStore(db: db).find(email: normalized) {
            try db.transaction { db in
                let token = try AccountTokens(db: db).issue(.passwordReset, userID: user.id)
                let link = config.site.publicURL + "/password/reset?token=" + token
                try Outbox(db: db).queue(Emails.passwordReset(to: user.email, link: link, site: config.site.name), userID: user.id,
                                         siteHost: LowCreditAlert.host(of: config.site.publicURL))
            }
        }
        page.sent = true
        return .page(page)
    }

    @Sendable static func resetForm(_ context: inout RequestContext) throws -> Reply {
        let token = try context.query()["token"] ?? ""
        guard try AccountTokens(db: context.db()).owner(of: token, .passwordReset) != nil else {
            return .page(ResetPasswordPage(csrfToken: try context.csrfToken(), token: nil), status: 400)
        }
        return .page(ResetPasswordPage(csrfToken: try context.csrfToken(), token: token)).header("Cache-Control", "no-store")
    }

    @Sendable static func reset(_ context: inout RequestContext) throws -> Reply {
        let form = try context.form()
        let token = form["token"] ?? ""
        let app = context.app
        let db = try context.db()
        do {
            let done: Bool = try db.transaction { db in
                guard let userID = try AccountTokens(db: db).redeem(token, .passwordReset) else { return false }
                try AccountStore(db: db, hasher: app.hasher).resetPassword(userID: userID, new: form["new_password"] ?? "",
                                                                           commonPasswords: app.commonPasswords)
                try AccountTokens(db: db).revokeAll(.passwordReset, userID: userID)
                return true
            }
            guard done else { return .page(ResetPasswordPage(csrfToken: try context.csrfToken(), token: nil), status: 400) }
        } catch let error as AccountError {
            // The transaction rolled back: the link still works for a better password.
            var page = ResetPasswordPage(csrfToken: try context.csrfToken(), token: token)
            page.error = error.message
            return .page(page, status: 400)
        }
        context.notify(.passwordReset)
        return .redirect(to: "/login")
    }

    /// Counts the request per client network like login failures, and per address at most three
    /// a window, so nobody can fill a stranger's inbox with reset mail. The seconds to wait when
    /// either is over its limit.
    private static func throttle(_ email: String, address: String, context: RequestContext) throws -> Int? {
        let accounts = context.app.config.accounts
        let limiter = RateLimiter(db: try context.db())
        let keys = ["reset:network:" + SignupLimit.network(of: address), "reset:email:" + email]
        let limits = [accounts.loginMaxFailures, min(3, accounts.loginMaxFailures)]
        let counts = try limiter.hit(keys, window: accounts.loginWindow)
        guard let over = counts.indices.first(where: { counts[$0] > limits[$0] }) else { return nil }
        return try limiter.current(keys[over], window: accounts.loginWindow).retryAfter
    }
}
