// Billing through the whole stack: a browser picks a plan or pack on /pricing and is sent to
// (fake) Stripe Checkout; Stripe's signed webhooks, delivered through nginx, change the plan,
// the Stripe ids and the ledger exactly once, whatever is replayed, raced or forged.

import Foundation
import HTTPClient
import Postgres
import Synchronization
import TestSupport
import XCTest

final class BillingTests: XCTestCase {
    nonisolated(unsafe) static var stripe: FakeStripe!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }
    var stripe: FakeStripe { Self.stripe }
    let client = HTTPClient(connectTimeout: 2, timeout: 15)

    override class func setUp() {
        // price_business is configured here but unknown to Stripe: checkout shows Stripe's refusal.
        stripe = FakeStripe(prices: ["price_starter", "price_pro", "price_pack_small", "price_pack_large"])
        stack = try! PictorStack(settings: [
            "stripe.api_base": stripe.url, "stripe.secret_key": stripe.secretKey, "stripe.webhook_secret": stripe.webhookSecret,
            "plan.free.name": "Free", "plan.free.price": "0", "plan.free.credits": "50",
            "plan.starter.name": "Starter", "plan.starter.price": "9", "plan.starter.credits": "500",
            "plan.starter.stripe_price": "price_starter",
            "plan.pro.name": "Pro", "plan.pro.price": "29", "plan.pro.credits": "2000", "plan.pro.stripe_price": "price_pro",
            "plan.business.name": "Business", "plan.business.price": "79", "plan.business.credits": "8000",
            "plan.business.stripe_price": "price_business",
            "pack.small.price": "5", "pack.small.credits": "100", "pack.small.stripe_price": "price_pack_small",
            "pack.large.price": "60", "pack.large.credits": "2000", "pack.large.stripe_price": "price_pack_large",
        ])
    }

    override class func tearDown() {
        stack.stop()
        stripe.stop()
    }

    // MARK: Helpers

    private func database() throws -> Connection { try Connection(stack.databaseURL) }

    /// A signed-in browser and its user id.
    private func customer(_ name: String = #function) throws -> (browser: Browser, id: Int64) {
        let browser = Browser(base: stack.baseURL)
        let email = uniqueEmail(name)
        XCTAssertEqual(try browser.signUp(email: email).status, 303)
        let id: Int64 = try database().query("SELECT id FROM users WHERE email = $1", [email])[0].get("id")
        return (browser, id)
    }

    /// The account as the database has it.
    private func account(_ id: Int64) throws -> (credits: Int, plan: String, customer: String?, subscription: String?) {
        let row = try database().query("SELECT credits, plan, stripe_customer_id, stripe_subscription_id FROM users WHERE id = $1", [id])[0]
        return (try row.get("credits"), try row.get("plan"), try row.get("stripe_customer_id"), try row.get("stripe_subscription_id"))
    }

    /// The account's purchase rows: amount and the Stripe ids they carry.
    private func purchases(_ id: Int64) throws -> [[String?]] {
        try database().query("""
            SELECT amount::text, stripe_event_id, stripe_checkout_session_id, stripe_invoice_id, stripe_subscription_id
            FROM transactions WHERE user_id = $1 AND kind = 'purchase' ORDER BY id
            """, [id]).map { row in try (0..<5).map { try row.get($0, as: String?.self) } }
    }

    private func recordedEvents() throws -> Int {
        try database().query("SELECT count(*)::int AS n FROM stripe_events")[0].get("n")
    }

    /// Delivers `body` as Stripe would: POST with its signature (or the given header).
    @discardableResult
    private func deliver(_ body: [UInt8], signature: String?? = nil) throws -> HTTPResponse {
        var headers = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")]
        switch signature {
        case .none: headers.append(("Stripe-Signature", stripe.signature(for: body)))
        case .some(.some(let value)): headers.append(("Stripe-Signature", value))
        case .some(.none): break
        }
        return try client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/webhooks/stripe", headers: headers, body: body))
    }

    private func outcome(_ response: HTTPResponse) throws -> [String: Any] {
        XCTAssertEqual(response.status, 200, response.text)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
    }

    private func uniqueID(_ prefix: String) -> String { prefix + UUID().uuidString.prefix(12).lowercased() }

    private func completedCheckout(user: Int64, pack: String? = nil, plan: String? = nil, paymentStatus: String = "paid",
                                   customer: String? = nil, subscription: String? = nil, invoice: String? = nil,
                                   session: String? = nil) -> [String: Any] {
        var metadata = ["user_id": String(user)]
        if let pack { metadata["pictor_pack"] = pack }
        if let plan { metadata["pictor_plan"] = plan }
        return ["id": session ?? uniqueID("cs_test_"), "object": "checkout.session", "mode": plan == nil ? "payment" : "subscription",
                "payment_status": paymentStatus, "status": "complete", "client_reference_id": String(user),
                "customer": customer ?? NSNull(), "subscription": subscription ?? NSNull(), "invoice": invoice ?? NSNull(),
                "metadata": metadata, "amount_total": 2900, "currency": "usd"]
    }

    /// A subscription started through checkout: (customer, subscription, first invoice).
    private func subscribe(_ user: Int64, plan: String = "pro") throws -> (customer: String, subscription: String, invoice: String) {
        let ids = (uniqueID("cus_"), uniqueID("sub_"), uniqueID("in_"))
        try deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed",
                                     object: completedCheckout(user: user, plan: plan, customer: ids.0, subscription: ids.1, invoice: ids.2)))
        return ids
    }

    /// An invoice in the shape of API versions before 2025-03-31: `subscription` and `lines.data[].price`.
    private func olderInvoice(_ id: String, subscription: String, price: String) -> [String: Any] {
        ["id": id, "object": "invoice", "status": "paid", "billing_reason": "subscription_cycle", "customer": "cus_x",
         "subscription": subscription, "amount_paid": 2900,
         "lines": ["object": "list", "data": [["id": "il_1", "object": "line_item", "price": ["id": price, "object": "price"]]]]]
    }

    /// An invoice in the 2025-03-31 (basil) shape: `parent.subscription_details` and `lines.data[].pricing.price_details`.
    private func newerInvoice(_ id: String, subscription: String, price: String, metadata: [String: String] = [:]) -> [String: Any] {
        ["id": id, "object": "invoice", "status": "paid", "billing_reason": "subscription_cycle", "customer": "cus_x",
         "parent": ["type": "subscription_details", "subscription_details": ["subscription": subscription, "metadata": metadata]],
         "amount_paid": 2900,
         "lines": ["object": "list", "data": [["id": "il_2", "object": "line_item",
                                                "pricing": ["type": "price_details", "price_details": ["price": price, "product": "prod_1"]]]]]]
    }

    // MARK: Checkout

    func testPricingOffersCheckoutAndCheckoutCreatesTheRightSessionAndRedirectsToIt() throws {
        let anonymous = try client.get(stack.baseURL + "/pricing").text
        XCTAssertTrue(anonymous.contains(#"<a class="btn btn-primary btn-block" href="/signup?next=%2Fpricing">Sign up to subscribe</a>"#), anonymous)
        XCTAssertTrue(anonymous.contains(">Sign up to buy</a>"))
        XCTAssertFalse(anonymous.contains("<form"), "a signed-out visitor signs up first, then comes back")

        let (browser, id) = try customer()
        let pricing = try browser.get("/pricing").text
        XCTAssertFalse(pricing.contains("Payments are not configured"))
        XCTAssertTrue(pricing.contains(#"<input type="hidden" name="plan" value="pro">"#), pricing)
        XCTAssertTrue(pricing.contains(#"<input type="hidden" name="pack" value="small">"#))
        let attempt = try XCTUnwrap(pricing.range(of: #"name="attempt" value="[^"]+""#, options: .regularExpression)
            .map { String(pricing[$0].dropFirst(#"name="attempt" value=""#.count).dropLast()) })

        let response = try browser.post("/billing/checkout", [("plan", "pro"), ("attempt", attempt)], csrfFrom: "/pricing")
        XCTAssertEqual(response.status, 303, response.text)
        let session = try XCTUnwrap(stripe.checkoutSessions.last)
        XCTAssertEqual(response.header("Location"), session.url)
        XCTAssertEqual(session.form["mode"], "subscription")
        XCTAssertEqual(session.form["line_items[0][price]"], "price_pro")
        XCTAssertEqual(session.form["line_items[0][quantity]"], "1")
        XCTAssertEqual(session.form["client_reference_id"], String(id))
        XCTAssertEqual(session.form["metadata[pictor_plan]"], "pro")
        XCTAssertEqual(session.form["subscription_data[metadata][user_id]"], String(id))
        XCTAssertTrue(session.form["customer_email"]?.hasSuffix("@example.com") ?? false)
        XCTAssertNil(session.form["customer"])
        XCTAssertEqual(session.form["success_url"], stack.baseURL + "/billing/success?session_id={CHECKOUT_SESSION_ID}")
        XCTAssertEqual(session.form["cancel_url"], stack.baseURL + "/billing/cancel")
        XCTAssertEqual(session.idempotencyKey, "pictor-checkout-\(id)-price_pro-\(attempt)")

        // A double click sends the same form again: Stripe answers the same session.
        let again = try browser.post("/billing/checkout", [("plan", "pro"), ("attempt", attempt)], csrfFrom: "/pricing")
        XCTAssertEqual(again.header("Location"), session.url)
        XCTAssertEqual(stripe.checkoutSessions.count(where: { $0.idempotencyKey == session.idempotencyKey }), 1)

        let pack = try browser.post("/billing/checkout", [("pack", "small")], csrfFrom: "/pricing")
        XCTAssertEqual(pack.status, 303)
        let packSession = try XCTUnwrap(stripe.checkoutSessions.last)
        XCTAssertEqual(packSession.form["mode"], "payment")
        XCTAssertEqual(packSession.form["line_items[0][price]"], "price_pack_small")
        XCTAssertEqual(packSession.form["metadata[pictor_pack]"], "small")
        XCTAssertEqual(packSession.form["customer_creation"], "always")
        XCTAssertEqual(try account(id).credits, 50, "nothing is credited before Stripe's webhook")
    }

    func testCheckoutRefusesBadChoicesAndAStripeErrorShowsAClearMessageAndChangesNothing() throws {
        let (browser, id) = try customer()
        let sessionsBefore = stripe.checkoutSessions.count
        for (fields, message) in [([("plan", "platinum")], "There is no plan"), ([("pack", "huge")], "There is no credit pack"),
                                  ([("plan", "free")], "You are on the Free plan already"), ([], "Choose one plan or one credit pack"),
                                  ([("plan", "pro"), ("pack", "small")], "Choose one plan or one credit pack")] {
            let response = try browser.post("/billing/checkout", fields, csrfFrom: "/pricing")
            XCTAssertEqual(response.status, 400, "\(fields)")
            XCTAssertTrue(response.text.contains(message), "\(fields): \(response.text)")
        }
        let forged = try browser.post("/billing/checkout", [("plan", "pro"), ("csrf_token", "forged")])
        XCTAssertEqual(forged.status, 403)

        let refused = try browser.post("/billing/checkout", [("plan", "business")], csrfFrom: "/pricing")
        XCTAssertEqual(refused.status, 502)
        XCTAssertTrue(refused.text.contains("Pictor could not start the checkout (Stripe said: No such price: &#39;price_business&#39;). Nothing was charged"),
                      refused.text)
        stripe.setFailing(500)
        defer { stripe.setFailing(nil) }
        let down = try browser.post("/billing/checkout", [("plan", "pro")], csrfFrom: "/pricing")
        XCTAssertEqual(down.status, 502)
        XCTAssertTrue(down.text.contains("(Stripe had an error). Nothing was charged; try again in a moment."), down.text)
        XCTAssertEqual(stripe.checkoutSessions.count, sessionsBefore)
        let after = try account(id)
        XCTAssertEqual([after.credits], [50])
        XCTAssertEqual(after.plan, "free")
        XCTAssertNil(after.customer)

        let signedOut = try client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/billing/checkout",
                                                    headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("plan=pro".utf8)))
        XCTAssertEqual(signedOut.status, 403, "no CSRF token without a page")
    }

    func testSuccessPageWaitsForTheWebhookAndCancelChangesNothing() throws {
        let (browser, id) = try customer()
        let session = uniqueID("cs_test_")
        let pending = try browser.get("/billing/success?session_id=\(session)")
        XCTAssertEqual(pending.status, 200)
        XCTAssertTrue(pending.text.contains("Your credits arrive as soon as Stripe confirms it"), pending.text)
        XCTAssertTrue(pending.text.contains(#"href="/billing/success?session_id=\#(session)">Check again"#))

        try deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed",
                                     object: completedCheckout(user: id, pack: "small", customer: uniqueID("cus_"), session: session)))
        let credited = try browser.get("/billing/success?session_id=\(session)").text
        XCTAssertTrue(credited.contains("100 credits were added to your account (100 credits pack). Your balance is 150 credits."), credited)

        let cancelled = try browser.get("/billing/cancel")
        XCTAssertEqual(cancelled.status, 200)
        XCTAssertTrue(cancelled.text.contains("Nothing was charged and nothing changed."))
        XCTAssertEqual(try account(id).credits, 150)
        XCTAssertEqual(try browser.get("/billing/success").status, 400)
    }

    func testThePortalOpensForACustomerAndSubscribersChangePlansThere() throws {
        let (browser, id) = try customer()
        XCTAssertFalse(try browser.get("/account").text.contains("Manage billing"))
        let none = try browser.post("/billing/portal", [], csrfFrom: "/account")
        XCTAssertEqual(none.status, 400)
        XCTAssertTrue(none.text.contains("no payments yet"))

        let (customer, _, _) = try subscribe(id)
        XCTAssertTrue(try browser.get("/account").text.contains("Manage billing"))
        let portal = try browser.post("/billing/portal", [], csrfFrom: "/account")
        XCTAssertEqual(portal.status, 303)
        let session = try XCTUnwrap(stripe.portalSessions.last)
        XCTAssertEqual(portal.header("Location"), session.url)
        XCTAssertEqual(session.form["customer"], customer)
        XCTAssertEqual(session.form["return_url"], stack.baseURL + "/account")

        // A subscriber picking another plan goes to the portal, not to a second subscription.
        let pricing = try browser.get("/pricing").text
        XCTAssertTrue(pricing.contains("Switch in the billing portal"))
        XCTAssertFalse(pricing.contains(#"name="plan" value="starter""#))
        let checkouts = stripe.checkoutSessions.count
        let change = try browser.post("/billing/checkout", [("plan", "starter")], csrfFrom: "/pricing")
        XCTAssertEqual(change.status, 303)
        XCTAssertEqual(change.header("Location"), stripe.portalSessions.last?.url)
        XCTAssertEqual(stripe.checkoutSessions.count, checkouts)
        // A pack bought by a known customer names that customer.
        XCTAssertEqual(try browser.post("/billing/checkout", [("pack", "small")], csrfFrom: "/pricing").status, 303)
        XCTAssertEqual(stripe.checkoutSessions.last?.form["customer"], customer)
        XCTAssertNil(stripe.checkoutSessions.last?.form["customer_email"])
    }

    // MARK: Webhook signatures

    func testForgedStaleOrMalformedDeliveriesAre400AndChangeNothing() throws {
        let (_, id) = try customer()
        let body = FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed", object: completedCheckout(user: id, pack: "large"))
        let now = Int(Date().timeIntervalSince1970)
        let altered = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"large\"", with: "\"small\"").utf8)
        let notJSON = Array("this is not json".utf8)
        let cases: [(String, [UInt8], String??)] = [
            ("wrong secret", body, stripe.signature(for: body, secret: "whsec_someone_else")),
            ("missing header", body, .some(nil)),
            ("empty header", body, ""),
            ("no v1", body, "t=\(now)"),
            ("stale timestamp", body, stripe.signature(for: body, timestamp: now - 400)),
            ("from the future", body, stripe.signature(for: body, timestamp: now + 400)),
            ("body altered after signing", altered, stripe.signature(for: body)),
            ("signed, not JSON", notJSON, stripe.signature(for: notJSON)),
            ("signed, not an event", Array(#"{"hello": "world"}"#.utf8), stripe.signature(for: Array(#"{"hello": "world"}"#.utf8))),
        ]
        let events = try recordedEvents()
        for (name, payload, signature) in cases {
            let response = try deliver(payload, signature: signature)
            XCTAssertEqual(response.status, 400, "\(name): \(response.text)")
            XCTAssertTrue(response.text.hasPrefix(#"{"error":{"code":"#), name)
        }
        XCTAssertEqual(try recordedEvents(), events)
        XCTAssertEqual(try account(id).credits, 50)
        XCTAssertEqual(try purchases(id), [])

        // One of several v1 signatures may match (Stripe sends two while a secret is rolled).
        let rolled = "t=\(now),v1=\(String(repeating: "0", count: 64)),v0=abc," + stripe.signature(for: body, timestamp: now).split(separator: ",")[1]
        XCTAssertEqual(try deliver(body, signature: rolled).status, 200)
        XCTAssertEqual(try account(id).credits, 2050)
    }

    // MARK: Events

    func testAPackIsCreditedOnceHoweverOftenTheEventIsDelivered() throws {
        let (_, id) = try customer()
        let event = uniqueID("evt_"), session = uniqueID("cs_test_"), customerID = uniqueID("cus_")
        let body = FakeStripe.event(event, type: "checkout.session.completed",
                                    object: completedCheckout(user: id, pack: "small", customer: customerID, session: session))
        let first = try outcome(deliver(body))
        XCTAssertEqual(first["duplicate"] as? Bool, false)
        XCTAssertEqual(first["outcome"] as? String, "credited 100 to user \(id) (100 credits pack)")
        let replay = try outcome(deliver(body))
        XCTAssertEqual(replay["duplicate"] as? Bool, true)
        // The same session in another event (a resend under a new id) still credits once.
        let resend = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed",
                                                          object: completedCheckout(user: id, pack: "small", session: session))))
        XCTAssertEqual(resend["outcome"] as? String, "already credited: this payment added its credits before")
        let after = try account(id)
        XCTAssertEqual(after.credits, 150)
        XCTAssertEqual(after.plan, "free", "a pack changes no plan")
        XCTAssertEqual(after.customer, customerID)
        XCTAssertEqual(try purchases(id), [["100", event, session, nil, nil]])
    }

    func testConcurrentDeliveriesOfOneEventCreditOnce() throws {
        let (_, id) = try customer()
        let body = FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed", object: completedCheckout(user: id, pack: "large"))
        let signature = stripe.signature(for: body)
        let collected = Mutex<[Int]>([])
        let url = stack.baseURL + "/webhooks/stripe"
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let status = (try? HTTPClient(connectTimeout: 2, timeout: 15).send(HTTPRequest(
                method: "POST", url: url, headers: [("Content-Type", "application/json"), ("Stripe-Signature", signature)],
                body: body)).status) ?? -1
            collected.withLock { $0.append(status) }
        }
        XCTAssertEqual(collected.withLock { $0 }, Array(repeating: 200, count: 8))
        XCTAssertEqual(try account(id).credits, 2050)
        XCTAssertEqual(try purchases(id).count, 1)
    }

    func testASubscriptionStartLinksTheCustomerSetsThePlanAndAddsTheFirstMonthOnce() throws {
        let (browser, id) = try customer()
        let (customer, subscription, invoice) = try subscribe(id)
        var after = try account(id)
        XCTAssertEqual([after.credits], [2050])
        XCTAssertEqual(after.plan, "pro")
        XCTAssertEqual(after.customer, customer)
        XCTAssertEqual(after.subscription, subscription)
        let rows = try purchases(id)
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows.first?[0], "2000")
        XCTAssertTrue(rows.first?[2]?.hasPrefix("cs_test_") ?? false, "the row names its Checkout Session")
        XCTAssertEqual(rows.first?[3], invoice, "and the first invoice, so that invoice's events add nothing")
        XCTAssertEqual(rows.first?[4], subscription)

        // The first invoice's own events (both of them) do not add the month again.
        for type in ["invoice.paid", "invoice.payment_succeeded"] {
            var first = olderInvoice(invoice, subscription: subscription, price: "price_pro")
            first["billing_reason"] = "subscription_create"
            let answer = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: type, object: first)))
            XCTAssertEqual(answer["outcome"] as? String, "already credited: this payment added its credits before", type)
        }
        after = try account(id)
        XCTAssertEqual(after.credits, 2050)
        let page = try browser.get("/account").text
        XCTAssertTrue(page.contains("Pro plan"))
        XCTAssertTrue(page.contains("Pro plan: first month"))
        XCTAssertTrue(try browser.get("/pricing").text.contains("Your plan"))
    }

    func testTheFirstInvoiceArrivingBeforeTheCheckoutStillCreditsTheMonthOnce() throws {
        let (_, id) = try customer()
        let customerID = uniqueID("cus_"), subscription = uniqueID("sub_"), invoice = uniqueID("in_")
        try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "invoice.paid",
                                             object: newerInvoice(invoice, subscription: subscription, price: "price_starter",
                                                                  metadata: ["user_id": String(id)]))))
        XCTAssertEqual(try account(id).credits, 550)
        try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed",
                                             object: completedCheckout(user: id, plan: "starter", customer: customerID,
                                                                       subscription: subscription, invoice: invoice))))
        let after = try account(id)
        XCTAssertEqual(after.credits, 550)
        XCTAssertEqual(after.plan, "starter")
        XCTAssertEqual(after.subscription, subscription)
    }

    func testRenewalsInEitherInvoiceShapeAddTheMonthOncePerInvoice() throws {
        let (_, id) = try customer()
        let (_, subscription, _) = try subscribe(id)
        let older = uniqueID("in_"), newer = uniqueID("in_")
        for (type, object) in [("invoice.paid", olderInvoice(older, subscription: subscription, price: "price_pro")),
                               ("invoice.payment_succeeded", olderInvoice(older, subscription: subscription, price: "price_pro")),
                               ("invoice.payment_succeeded", newerInvoice(newer, subscription: subscription, price: "price_pro")),
                               ("invoice.paid", newerInvoice(newer, subscription: subscription, price: "price_pro"))] {
            try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: type, object: object)))
        }
        XCTAssertEqual(try account(id).credits, 50 + 3 * 2000)
        let rows = try purchases(id)
        XCTAssertEqual(rows.map { $0[0] }, ["2000", "2000", "2000"])
        XCTAssertEqual(rows.map { $0[3] }.suffix(2), [older, newer])
        XCTAssertEqual(Set(rows.map { $0[4] }), [subscription])

        // An invoice of a subscription no account has, or of a price no plan has, changes nothing.
        let stranger = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "invoice.paid",
                                                            object: olderInvoice(uniqueID("in_"), subscription: "sub_nobody", price: "price_pro"))))
        XCTAssertEqual(stranger["outcome"] as? String, "ignored: subscription sub_nobody belongs to no account")
        let unknownPrice = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "invoice.paid",
                                                                object: olderInvoice(uniqueID("in_"), subscription: subscription, price: "price_other"))))
        XCTAssertTrue((unknownPrice["outcome"] as? String)?.hasPrefix("error: no configured plan has price price_other") ?? false)
        XCTAssertEqual(try account(id).credits, 6050)
    }

    func testAPlanChangeMovesThePlanAndACancellationGoesBackToFreeKeepingTheCredits() throws {
        let (_, id) = try customer()
        let (customerID, subscription, _) = try subscribe(id)
        func subscriptionObject(status: String, price: String) -> [String: Any] {
            ["id": subscription, "object": "subscription", "status": status, "customer": customerID, "cancel_at_period_end": false,
             "items": ["object": "list", "data": [["id": "si_1", "price": ["id": price, "object": "price"]]]],
             "metadata": ["user_id": String(id), "pictor_plan": "pro"]]
        }
        try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "customer.subscription.updated",
                                             object: subscriptionObject(status: "active", price: "price_starter"))))
        var after = try account(id)
        XCTAssertEqual(after.plan, "starter")
        XCTAssertEqual(after.credits, 2050, "a plan change adds nothing until its invoice is paid")

        try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "customer.subscription.deleted",
                                             object: subscriptionObject(status: "canceled", price: "price_starter"))))
        after = try account(id)
        XCTAssertEqual(after.plan, "free")
        XCTAssertNil(after.subscription)
        XCTAssertEqual(after.customer, customerID, "the customer stays linked: the portal still shows past invoices")
        XCTAssertEqual(after.credits, 2050)
    }

    func testAnAsyncPaymentIsCreditedWhenItSucceedsAndOtherTypesAreAcknowledged() throws {
        let (_, id) = try customer()
        let session = uniqueID("cs_test_")
        let waiting = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed",
                                                           object: completedCheckout(user: id, pack: "small", paymentStatus: "unpaid", session: session))))
        XCTAssertTrue((waiting["outcome"] as? String)?.hasPrefix("waiting: payment_status is unpaid") ?? false)
        XCTAssertEqual(try account(id).credits, 50)
        try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.async_payment_succeeded",
                                             object: completedCheckout(user: id, pack: "small", session: session))))
        XCTAssertEqual(try account(id).credits, 150)

        let other = try outcome(deliver(FakeStripe.event(uniqueID("evt_"), type: "customer.created", object: ["id": "cus_1", "object": "customer"])))
        XCTAssertEqual(other["outcome"] as? String, "ignored: customer.created is not a type Pictor acts on")
        // A handled type whose object lacks what Pictor reads is malformed: 400, nothing recorded.
        let events = try recordedEvents()
        let broken = try deliver(FakeStripe.event(uniqueID("evt_"), type: "invoice.paid", object: ["id": "in_1"]))
        XCTAssertEqual(broken.status, 400)
        XCTAssertTrue(broken.text.contains("lines is missing"), broken.text)
        XCTAssertEqual(try recordedEvents(), events)
    }

    func testEveryBalanceEqualsItsLedgerAfterBilling() throws {
        let (_, id) = try customer()
        _ = try subscribe(id, plan: "starter")
        try deliver(FakeStripe.event(uniqueID("evt_"), type: "checkout.session.completed", object: completedCheckout(user: id, pack: "small")))
        let rows = try database().query("""
            SELECT u.id FROM users u LEFT JOIN transactions t ON t.user_id = u.id
            GROUP BY u.id, u.credits HAVING u.credits <> coalesce(sum(t.amount), 0)
            """)
        XCTAssertEqual(rows.count, 0)
        XCTAssertEqual(try account(id).credits, 650)
    }
}
