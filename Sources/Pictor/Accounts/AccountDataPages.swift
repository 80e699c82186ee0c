// "Your data" on /account: download everything (GDPR Articles 15 and 20) and delete the account
// (Article 17). The JSON export is also `GET /api/v1/me/export`.

import Foundation
import Postgres

enum AccountDataPages {
    /// GET /account/export: the ZIP (the JSON document and every stored image), streamed.
    @Sendable static func exportArchive(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let (document, generations) = try DataExport.load(user: user, db: context.db(), archive: true)
        let media = context.app.media, logger = context.app.logger
        logger.info("[\(context.requestID)] data export of user \(user.id): \(generations.count) generation(s)")
        return .download(filename: "pictor-data-\(user.id).zip", contentType: "application/zip") { send in
            DataExport.zip(document, generations: generations, media: media, logger: logger, send: send)
        }
    }

    /// GET /api/v1/me/export: the same document as JSON.
    @Sendable static func exportJSON(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        return .json(try DataExport.load(user: user, db: context.db(), archive: false).document)
    }

    /// POST /account/delete: with the current password (or, for an account without one, its
    /// address). Wrong password guesses are throttled like a password change's; a subscription
    /// is cancelled at Stripe first, so nothing is charged again.
    @Sendable static func delete(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let app = context.app
        let limiter = RateLimiter(db: try context.db())
        let key = "password:user:\(user.id)", accounts = app.config.accounts
        let (failures, retryAfter) = try limiter.current(key, window: accounts.loginWindow)
        guard failures < accounts.loginMaxFailures else {
            throw HTTPError(429, code: "rate_limited", message: "Too many wrong passwords. Try again in \((retryAfter + 59) / 60) minute(s).",
                            headers: ["Retry-After": String(retryAfter)])
        }
        let form = try context.form()
        let stored: String? = try context.db().query("SELECT password_hash FROM users WHERE id = $1", [user.id])[0].get("password_hash")
        if let stored {
            guard app.hasher.verify(form["password"] ?? "", against: stored) else {
                try limiter.hit([key], window: accounts.loginWindow)
                throw HTTPError(403, code: "wrong_password", message: "That is not your password: nothing was deleted.")
            }
        } else {
            // An account a sign-in provider made has no password: typing the address confirms.
            guard (try? Credentials.normalizedEmail(form["confirm_email"] ?? "")) == user.email else {
                throw HTTPError(403, code: "wrong_confirmation", message: "That is not your account's email address: nothing was deleted.")
            }
        }
        if let subscription = user.stripeSubscriptionID, app.config.billing.stripe.isConfigured {
            do {
                try StripeClient(settings: app.config.billing.stripe).cancelSubscription(subscription)
            } catch let error as StripeError {
                app.logger.error("[\(context.requestID)] deleting user \(user.id): cancelling \(subscription) failed: \(error)")
                throw HTTPError(502, code: "payment_provider_error", message: "Pictor could not cancel your subscription at Stripe, so nothing was deleted. Try again in a moment, or cancel it in the billing portal first.")
            }
        }
        let deleted = try AccountDeletion(db: context.db(), config: app.config).delete(user)
        app.media.delete(deleted.files)
        app.logger.notice("[\(context.requestID)] account \(user.id) deleted at its owner's request: \(deleted.generations) generation(s), \(deleted.files.count) file(s)")
        context.responseCookies.append(Cookie.clear(SessionStore.cookieName, secure: context.request.isHTTPS))
        context.notify(.accountDeleted)
        return .redirect(to: "/login")
    }
}

/// Removes an account and everything of it, keeping only what the books must keep: purchase rows
/// (anonymised by the ledger's trigger) and Stripe's events about them (emptied of the person).
struct AccountDeletion {
    let db: Connection
    let config: Config

    /// Deletes in one transaction and queues the confirmation mail in it; returns the storage
    /// keys of the account's files, for the caller to remove once that has committed.
    func delete(_ user: User) throws -> (generations: Int, files: [String?]) {
        try db.transaction { db in
            let rows = try db.query("SELECT image_key, thumb_key, thumb_large_key FROM generations WHERE user_id = $1 FOR UPDATE", [user.id])
            let files: [String?] = try rows.flatMap { row in
                [try row.get("image_key", as: String?.self), try row.get("thumb_key", as: String?.self), try row.get("thumb_large_key", as: String?.self)]
            }
            try db.query("DELETE FROM email_outbox WHERE user_id = $1", [user.id])
            try anonymiseStripeEvents(of: user)
            try db.query("DELETE FROM users WHERE id = $1", [user.id])
            // After the delete, with no user_id: the confirmation outlives the account it reports on.
            try Outbox(db: db).queue(Emails.accountDeleted(to: user.email, site: config.site.name, contact: config.site.contactEmail),
                                     userID: nil, siteHost: LowCreditAlert.host(of: config.site.publicURL))
            return (rows.count, files)
        }
    }

    /// Stripe's events about the account keep their id and type (the books' reference) and lose
    /// the rest (addresses, names, the account id).
    private func anonymiseStripeEvents(of user: User) throws {
        try db.query("""
            UPDATE stripe_events SET payload = jsonb_build_object('id', id, 'type', type, 'anonymised', true)
            WHERE payload #>> '{data,object,client_reference_id}' = $1
               OR payload #>> '{data,object,metadata,user_id}' = $1
               OR payload #>> '{data,object,parent,subscription_details,metadata,user_id}' = $1
               OR payload #>> '{data,object,subscription_details,metadata,user_id}' = $1
               OR ($2::text IS NOT NULL AND payload #>> '{data,object,customer}' = $2)
            """, [String(user.id), user.stripeCustomerID])
    }
}
