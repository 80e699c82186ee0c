// Buying: POST /billing/checkout sends the person to Stripe Checkout, POST /billing/portal to
// Stripe's billing portal; Stripe sends them back to /billing/success or /billing/cancel. The
// credits themselves arrive by webhook (StripeWebhook.swift), never from these pages.

import Crypto
import Foundation

enum BillingPages {
    /// Starts a Checkout Session for the plan or pack in the form and redirects to it. A person
    /// who already has a subscription changes plans in the billing portal instead, so no one
    /// ends up paying for two subscriptions.
    @Sendable static func checkout(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        let billing = context.app.config.billing
        let item: StripeClient.CheckoutRequest.Item
        let price: String?
        switch (form["plan"], form["pack"]) {
        case (let planID?, nil):
            guard let plan = billing.plan(planID) else { throw HTTPError.badRequest("There is no plan called “\(planID)” here.") }
            guard plan.id != user.plan else { throw HTTPError.badRequest("You are on the \(plan.name) plan already.") }
            guard !plan.isFree else {
                throw HTTPError.badRequest("To go back to Free, cancel your subscription in the billing portal (from your account page).")
            }
            if user.stripeSubscriptionID != nil { return try portal(&context) }
            (item, price) = (.plan(plan), plan.stripePrice)
        case (nil, let packID?):
            guard let pack = billing.pack(packID) else { throw HTTPError.badRequest("There is no credit pack called “\(packID)” here.") }
            (item, price) = (.pack(pack), pack.stripePrice)
        default:
            throw HTTPError.badRequest("Choose one plan or one credit pack.")
        }
        guard billing.canBuy(stripePrice: price), let price else { throw notConfigured }
        let site = context.app.config.site.publicURL
        let request = StripeClient.CheckoutRequest(
            item: item, price: price, user: user, customer: user.stripeCustomerID,
            successURL: site + "/billing/success?session_id={CHECKOUT_SESSION_ID}", cancelURL: site + "/billing/cancel")
        do {
            let session = try StripeClient(settings: billing.stripe)
                .createCheckoutSession(request, idempotencyKey: idempotencyKey(user: user, price: price, attempt: form["attempt"]))
            return .redirect(toExternal: session.url)
        } catch let error as StripeError {
            context.app.logger.error("[\(context.requestID)] checkout for user \(user.id), \(price): \(error)")
            throw unavailable(error, doing: "start the checkout")
        }
    }

    /// Opens Stripe's billing portal for the account's customer: cards, invoices, plan changes
    /// and cancellation, all handled by Stripe and reported back by webhook.
    @Sendable static func portal(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let config = context.app.config
        guard let customer = user.stripeCustomerID else {
            throw HTTPError.badRequest("Your account has no payments yet, so there is no billing portal to open: choose a plan or a pack on the pricing page.")
        }
        guard config.billing.stripe.isConfigured else { throw notConfigured }
        do {
            let session = try StripeClient(settings: config.billing.stripe)
                .createPortalSession(customer: customer, returnURL: config.site.publicURL + "/account")
            return .redirect(toExternal: session.url)
        } catch let error as StripeError {
            context.app.logger.error("[\(context.requestID)] billing portal for user \(user.id): \(error)")
            throw unavailable(error, doing: "open the billing portal")
        }
    }

    /// Where Stripe sends the person after paying. The webhook may land before or after them:
    /// the page says which.
    @Sendable static func success(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let sessionID = try context.query()["session_id"] ?? ""
        guard sessionID.hasPrefix("cs_"), sessionID.count <= 255 else {
            throw HTTPError.badRequest("This address lacks the checkout it reports on (session_id=cs_…).")
        }
        let rows = try context.db().query("""
            SELECT amount, reason FROM transactions WHERE stripe_checkout_session_id = $1 AND user_id = $2
            """, [sessionID, user.id])
        let credited = try rows.first.map { (amount: try $0.get("amount", as: Int.self), reason: try $0.get("reason", as: String.self)) }
        return .page(CheckoutResultPage(outcome: .paid(credited: credited, balance: user.credits, again: "/billing/success?session_id=\(sessionID)")))
    }

    /// Where Stripe sends the person who left Checkout without paying.
    @Sendable static func cancel(_ context: inout RequestContext) throws -> Reply {
        .page(CheckoutResultPage(outcome: .cancelled))
    }

    // MARK: Helpers

    static let notConfigured = HTTPError(503, code: "payments_not_configured",
                                         message: "Payments are not configured on this instance: nothing can be bought here yet.")

    /// Stripe refused or did not answer: nothing was charged. Stripe's own words are shown when
    /// they describe the request (a 4xx other than an auth failure, which would be about this
    /// instance's key).
    private static func unavailable(_ error: StripeError, doing action: String) -> HTTPError {
        let detail: String = switch error.status {
        case nil: "Stripe did not answer"
        case 401?, 403?: "Stripe refused this instance's key"
        case let status? where status >= 500: "Stripe had an error"
        default: "Stripe said: \(error.message.prefix(200))"
        }
        return HTTPError(502, code: "payment_provider_error",
                         message: "Pictor could not \(action) (\(detail)). Nothing was charged; try again in a moment.")
    }

    /// One key per press of a buy button: the pricing page gives each render a random `attempt`,
    /// so a double click or a resent form gets the same session, and a later visit a new one.
    static func idempotencyKey(user: User, price: String, attempt: String?) -> String {
        let valid = attempt.map { (16...64).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } } ?? false
        return "pictor-checkout-\(user.id)-\(price)-\(valid ? attempt! : Crypto.randomToken(bytes: 16))"
    }
}
