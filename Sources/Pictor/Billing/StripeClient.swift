// Stripe's REST API over libcurl: the two calls Pictor makes (a Checkout Session, a billing
// portal session). Everything else comes to Pictor as signed webhooks (StripeWebhook.swift).

import Foundation
import HTTPClient

/// What was asked of Stripe and why it failed, in words a person can act on. Never holds the key.
struct StripeError: Error, CustomStringConvertible {
    /// Stripe's own message (`error.message`) when it answered, else what went wrong on the way.
    let message: String
    /// Stripe's HTTP status, or nil when it did not answer.
    let status: Int?
    var description: String { status.map { "Stripe answered HTTP \($0): \(message)" } ?? "Stripe could not be reached: \(message)" }
}

struct StripeClient {
    let settings: StripeSettings

    /// Where Checkout and the billing portal live: the session URLs Stripe hands out are on these.
    static let hostedPageOrigins = ["https://checkout.stripe.com", "https://billing.stripe.com"]

    /// What Checkout is asked to sell.
    struct CheckoutRequest {
        enum Item {
            case plan(Plan)
            case pack(CreditPack)
        }

        let item: Item
        let price: String
        let user: User
        /// The user's Stripe customer, when a webhook has linked one.
        let customer: String?
        let successURL: String
        let cancelURL: String
    }

    /// A Checkout Session or a portal session: where to send the person.
    struct Session: Decodable {
        let id: String
        let url: String
    }

    /// Creates a Checkout Session. `idempotencyKey` makes a repeated form post (a double click,
    /// a retry after a dropped answer) return the same session instead of a second one.
    func createCheckoutSession(_ request: CheckoutRequest, idempotencyKey: String) throws -> Session {
        try session(from: send("POST", "/v1/checkout/sessions", Self.checkoutForm(request), idempotencyKey: idempotencyKey))
    }

    /// Cancels a subscription now (the account is being deleted): no further invoice is charged.
    /// A subscription Stripe no longer has (404) counts as cancelled.
    func cancelSubscription(_ id: String) throws {
        do {
            _ = try send("DELETE", "/v1/subscriptions/" + id, [], idempotencyKey: nil)
        } catch let error as StripeError where error.status == 404 {
            return
        }
    }

    /// A link to Stripe's billing portal (cards, invoices, plan changes, cancellation) for a customer.
    func createPortalSession(customer: String, returnURL: String) throws -> Session {
        try session(from: send("POST", "/v1/billing_portal/sessions", [("customer", customer), ("return_url", returnURL)], idempotencyKey: nil))
    }

    /// The form fields of a Checkout Session. The user id travels as `client_reference_id` and in
    /// the metadata of the session and of the subscription it starts, so every later event about
    /// it names the account; `pictor_plan` / `pictor_pack` say what was bought, as the session's
    /// event does not list its line items.
    static func checkoutForm(_ request: CheckoutRequest) -> [(String, String)] {
        let userID = String(request.user.id)
        var form: [(String, String)] = [
            ("line_items[0][price]", request.price),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", userID),
            ("success_url", request.successURL),
            ("cancel_url", request.cancelURL),
            ("metadata[user_id]", userID),
        ]
        switch request.item {
        case .plan(let plan):
            form += [("mode", "subscription"), ("metadata[pictor_plan]", plan.id),
                     ("subscription_data[metadata][user_id]", userID), ("subscription_data[metadata][pictor_plan]", plan.id)]
        case .pack(let pack):
            form += [("mode", "payment"), ("metadata[pictor_pack]", pack.id)]
            // Without it, a payment-mode session makes no customer, and the portal would have none.
            if request.customer == nil { form.append(("customer_creation", "always")) }
        }
        if let customer = request.customer {
            form.append(("customer", customer))
        } else {
            form.append(("customer_email", request.user.email))
        }
        return form
    }

    /// One call to Stripe's API with a form body; the answer if it is a 2xx.
    private func send(_ method: String, _ path: String, _ form: [(String, String)], idempotencyKey: String?) throws -> HTTPResponse {
        guard let key = settings.secretKey else { throw StripeError(message: "no secret key is configured", status: nil) }
        var headers = [("Authorization", "Bearer " + key), ("User-Agent", "Pictor/1.0"),
                       ("Content-Type", "application/x-www-form-urlencoded")]
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        let response: HTTPResponse
        do {
            response = try HTTPClient(connectTimeout: min(10, settings.timeout), timeout: settings.timeout, maxResponseBytes: 1 << 20)
                .send(HTTPRequest(method: method, url: settings.apiBase + path, headers: headers,
                                  body: Array(HTTPRequest.formEncoded(form).utf8)))
        } catch let error as HTTPClientError {
            throw StripeError(message: error.isTimeout ? "it did not answer in time" : error.message, status: nil)
        }
        guard (200..<300).contains(response.status) else {
            throw StripeError(message: Self.errorMessage(response) ?? "no error message", status: response.status)
        }
        return response
    }

    private func session(from response: HTTPResponse) throws -> Session {
        guard let session = try? JSONDecoder().decode(Session.self, from: Data(response.body)),
              session.url.hasPrefix("https://") || session.url.hasPrefix("http://"),
              session.url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw StripeError(message: "its answer has no session URL", status: response.status)
        }
        return session
    }

    /// `{"error": {"message": "No such price: 'price_x'", "type": "invalid_request_error"}}`.
    private static func errorMessage(_ response: HTTPResponse) -> String? {
        struct Body: Decodable {
            struct Detail: Decodable { let message: String? }
            let error: Detail
        }
        return (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.error.message
    }
}
