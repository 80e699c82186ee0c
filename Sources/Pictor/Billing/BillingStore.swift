// What a verified Stripe event changes: plans, the account's Stripe ids and the ledger, in one
// transaction with the event's record, so a redelivered or concurrent duplicate changes nothing.

import Foundation
import Postgres

struct BillingStore {
    let db: Connection
    let billing: Billing

    enum Result: Equatable {
        /// Applied now; what it did, as recorded in stripe_events.outcome.
        case applied(String)
        /// This event id was applied before (or is being applied by a delivery that got there first).
        case duplicate
    }

    /// Records the event and applies it, or does nothing if its id is already recorded. A second
    /// delivery arriving while the first is still in its transaction waits on the primary key
    /// and then finds it taken.
    func apply(_ event: StripeEvent, payload: [UInt8]) throws -> Result {
        try db.transaction { db in
            let recorded = try db.query("""
                INSERT INTO stripe_events (id, type, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO NOTHING RETURNING id
                """, [event.id, event.type, String(decoding: payload, as: UTF8.self)])
            guard !recorded.isEmpty else { return .duplicate }
            let outcome = try handle(event)
            try db.query("UPDATE stripe_events SET processed_at = now(), outcome = $2 WHERE id = $1", [event.id, outcome])
            return .applied(outcome)
        }
    }

    private func handle(_ event: StripeEvent) throws -> String {
        switch event.object {
        case .checkoutSession(let session): try checkoutCompleted(session, event: event)
        case .invoice(let invoice): try invoicePaid(invoice, event: event)
        case .subscription(let subscription) where event.type == "customer.subscription.deleted":
            try subscriptionEnded(subscription)
        case .subscription(let subscription): try subscriptionUpdated(subscription)
        case .ignored: "ignored: \(event.type) is not a type Pictor acts on"
        }
    }

    // MARK: Checkout

    /// A pack adds its credits; a plan links the customer and subscription, sets the plan and
    /// adds the first month, marked with the first invoice so that invoice's own event does not
    /// add it again.
    private func checkoutCompleted(_ session: CheckoutSession, event: StripeEvent) throws -> String {
        guard session.paymentStatus == "paid" else {
            return "waiting: payment_status is \(session.paymentStatus); credited when checkout.session.async_payment_succeeded comes"
        }
        let metadata = session.metadata ?? [:]
        guard let userID = try existingUser(session.clientReferenceId ?? metadata["user_id"]) else {
            return "ignored: the session names no existing account (client_reference_id \(session.clientReferenceId ?? "none"))"
        }
        let payment = StripePayment(eventID: event.id, checkoutSessionID: session.id, invoiceID: session.invoice?.value,
                                    subscriptionID: session.subscription?.value)
        if let planID = metadata["pictor_plan"] {
            guard let plan = billing.plan(planID), !plan.isFree else { return "error: plan \(planID) is not configured; credit it by hand" }
            try link(userID: userID, customer: session.customer?.value)
            if let subscription = session.subscription?.value {
                try db.query("UPDATE users SET plan = $2, stripe_subscription_id = $3, updated_at = now() WHERE id = $1",
                             [userID, plan.id, subscription])
            }
            return try credit(userID, plan.monthlyCredits, "\(plan.name) plan: first month", payment)
        }
        if let packID = metadata["pictor_pack"] {
            guard let pack = billing.pack(packID) else { return "error: pack \(packID) is not configured; credit it by hand" }
            try link(userID: userID, customer: session.customer?.value)
            return try credit(userID, pack.credits, "\(pack.name) pack", payment)
        }
        return "ignored: not a Pictor checkout (no pictor_plan or pictor_pack in its metadata)"
    }

    // MARK: Invoices

    /// A paid subscription invoice adds its plan's monthly credits, once per invoice.
    private func invoicePaid(_ invoice: Invoice, event: StripeEvent) throws -> String {
        guard let subscription = invoice.subscriptionID else { return "ignored: not a subscription's invoice" }
        if let status = invoice.status, status != "paid" { return "ignored: the invoice is \(status), not paid" }
        guard let plan = invoice.priceIDs.lazy.compactMap(billing.plan(stripePrice:)).first else {
            return "error: no configured plan has price \(invoice.priceIDs.joined(separator: ", ")); credit it by hand"
        }
        let bySubscription = try db.query("SELECT id FROM users WHERE stripe_subscription_id = $1", [subscription]).first
        // The first invoice can come before checkout.session.completed has linked the subscription.
        guard let userID = try bySubscription.map({ try $0.get("id", as: Int64.self) })
                ?? existingUser(invoice.subscriptionMetadata["user_id"]) else {
            return "ignored: subscription \(subscription) belongs to no account"
        }
        return try credit(userID, plan.monthlyCredits, "\(plan.name) plan: monthly credits",
                          StripePayment(eventID: event.id, invoiceID: invoice.id, subscriptionID: subscription))
    }

    // MARK: Subscriptions

    /// A plan change (made in the billing portal) moves the account to the plan of the new price;
    /// a subscription that has ended for want of payment moves it back to Free.
    private func subscriptionUpdated(_ subscription: Subscription) throws -> String {
        guard let userID = try subscriber(subscription) else { return "ignored: subscription \(subscription.id) belongs to no account" }
        switch subscription.status {
        case "active", "trialing", "past_due":
            guard let plan = subscription.priceIDs.lazy.compactMap(billing.plan(stripePrice:)).first else {
                return "error: no configured plan has price \(subscription.priceIDs.joined(separator: ", "))"
            }
            try db.query("UPDATE users SET plan = $2, stripe_subscription_id = $3, updated_at = now() WHERE id = $1",
                         [userID, plan.id, subscription.id])
            return "user \(userID) is on plan \(plan.id)"
        case "canceled", "incomplete_expired", "unpaid":
            return try endSubscription(userID: userID, subscription.id)
        default:
            return "ignored: status \(subscription.status)"
        }
    }

    /// Stripe deletes a cancelled subscription at the end of the paid period: back to Free,
    /// keeping the credits already paid for.
    private func subscriptionEnded(_ subscription: Subscription) throws -> String {
        guard let userID = try subscriber(subscription) else { return "ignored: subscription \(subscription.id) belongs to no account" }
        return try endSubscription(userID: userID, subscription.id)
    }

    private func endSubscription(userID: Int64, _ subscription: String) throws -> String {
        try db.query("""
            UPDATE users SET plan = $2, stripe_subscription_id = NULL, updated_at = now() WHERE id = $1 AND stripe_subscription_id = $3
            """, [userID, Plan.freeID, subscription])
        return "user \(userID) is back on plan \(Plan.freeID)"
    }

    /// The account whose current subscription this is; or, for one not linked yet, the account its
    /// metadata names, if that account has no other subscription.
    private func subscriber(_ subscription: Subscription) throws -> Int64? {
        if let row = try db.query("SELECT id FROM users WHERE stripe_subscription_id = $1", [subscription.id]).first {
            return try row.get("id")
        }
        guard let userID = try existingUser(subscription.metadata?["user_id"]) else { return nil }
        let free = try db.query("SELECT 1 FROM users WHERE id = $1 AND stripe_subscription_id IS NULL", [userID])
        return free.isEmpty ? nil : userID
    }

    // MARK: Shared steps

    private func credit(_ userID: Int64, _ credits: Int, _ reason: String, _ payment: StripePayment) throws -> String {
        guard try Ledger(db: db).purchase(userID: userID, credits: credits, reason: reason, payment: payment) else {
            return "already credited: this payment added its credits before"
        }
        return "credited \(credits) to user \(userID) (\(reason))"
    }

    /// Remembers the account's Stripe customer, for its next checkout and the billing portal. An
    /// account keeps its first customer; a customer already linked to another account is left there.
    private func link(userID: Int64, customer: String?) throws {
        guard let customer else { return }
        try db.query("""
            UPDATE users SET stripe_customer_id = $2, updated_at = now()
            WHERE id = $1 AND stripe_customer_id IS NULL AND NOT EXISTS (SELECT 1 FROM users WHERE stripe_customer_id = $2)
            """, [userID, customer])
    }

    /// The id of the account `text` names, if it exists.
    private func existingUser(_ text: String?) throws -> Int64? {
        guard let text, let id = Int64(text), id > 0 else { return nil }
        return try db.query("SELECT id FROM users WHERE id = $1", [id]).first?.get("id")
    }
}
