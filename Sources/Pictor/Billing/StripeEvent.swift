// The Stripe events Pictor acts on, decoded into types. Only the fields Pictor reads are
// declared; both shapes Stripe's API versions give an invoice are accepted.

import Foundation

/// A webhook delivery: `{"id": "evt_…", "type": "…", "data": {"object": {…}}}`.
struct StripeEvent {
    let id: String
    let type: String
    let object: Object

    enum Object {
        case checkoutSession(CheckoutSession)
        case invoice(Invoice)
        case subscription(Subscription)
        /// A type Pictor does not act on: recorded and answered 200.
        case ignored
    }

    struct Malformed: Error {
        let message: String
    }

    static let checkoutTypes: Set = ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    static let invoiceTypes: Set = ["invoice.paid", "invoice.payment_succeeded"]
    static let subscriptionTypes: Set = ["customer.subscription.updated", "customer.subscription.deleted"]

    init(json body: [UInt8]) throws {
        let data = Data(body)
        // No snake-case key strategy: it would rename metadata's keys too (`user_id` → `userId`).
        let decoder = JSONDecoder()
        guard let envelope = try? decoder.decode(Envelope.self, from: data), !envelope.id.isEmpty, !envelope.type.isEmpty else {
            throw Malformed(message: "The body is not a Stripe event (JSON with id, type and data.object).")
        }
        id = envelope.id
        type = envelope.type
        func decode<T: Decodable>(_: T.Type) throws -> T {
            do {
                return try decoder.decode(Payload<T>.self, from: data).data.object
            } catch {
                throw Malformed(message: "The \(envelope.type) event's object lacks a field Pictor needs: \(Self.describe(error)).")
            }
        }
        if Self.checkoutTypes.contains(type) {
            object = .checkoutSession(try decode(CheckoutSession.self))
        } else if Self.invoiceTypes.contains(type) {
            object = .invoice(try decode(Invoice.self))
        } else if Self.subscriptionTypes.contains(type) {
            object = .subscription(try decode(Subscription.self))
        } else {
            object = .ignored
        }
    }

    private struct Envelope: Decodable {
        struct Body: Decodable { let object: [String: JSONValue] }
        let id: String
        let type: String
        let data: Body
    }

    private struct Payload<T: Decodable>: Decodable {
        struct Body: Decodable { let object: T }
        let data: Body
    }

    /// Any JSON value, decoded only to check that `data.object` is an object.
    private struct JSONValue: Decodable {
        init(from decoder: Decoder) throws {}
    }

    /// "data.object.payment_status is missing".
    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, key)) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)) has the wrong type"
        @unknown default: return "\(error)"
        }
    }
}

/// An id Stripe sends either as a string or, when expanded, as an object with an `id`.
struct StripeID: Decodable, Equatable {
    let value: String

    init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            value = text
        } else {
            struct Expanded: Decodable { let id: String }
            value = try Expanded(from: decoder).id
        }
    }
}

/// `checkout.session.*`: what a finished Checkout sold and to whom.
struct CheckoutSession: Decodable {
    let id: String
    /// `subscription` or `payment`.
    let mode: String
    /// `paid`, `unpaid` (a bank debit still on its way) or `no_payment_required`.
    let paymentStatus: String
    let clientReferenceId: String?
    let customer: StripeID?
    let subscription: StripeID?
    /// The subscription's first invoice: its invoice.paid event must not credit the month again.
    let invoice: StripeID?
    let metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id, mode, customer, subscription, invoice, metadata
        case paymentStatus = "payment_status", clientReferenceId = "client_reference_id"
    }
}

/// `invoice.paid` / `invoice.payment_succeeded`.
struct Invoice: Decodable {
    struct Line: Decodable {
        struct Pricing: Decodable {
            struct PriceDetails: Decodable { let price: StripeID? }
            let priceDetails: PriceDetails?
            enum CodingKeys: String, CodingKey { case priceDetails = "price_details" }
        }

        /// Older API versions: the Price object.
        let price: StripeID?
        /// 2025-03-31 (basil) and later: `pricing.price_details.price`.
        let pricing: Pricing?

        var priceID: String? { price?.value ?? pricing?.priceDetails?.price?.value }
    }

    struct Lines: Decodable { let data: [Line] }

    struct SubscriptionDetails: Decodable {
        let subscription: StripeID?
        let metadata: [String: String]?
    }

    struct Parent: Decodable {
        let subscriptionDetails: SubscriptionDetails?
        enum CodingKeys: String, CodingKey { case subscriptionDetails = "subscription_details" }
    }

    let id: String
    let status: String?
    let customer: StripeID?
    /// Older API versions name the subscription here…
    let subscription: StripeID?
    /// …and its metadata here.
    let subscriptionDetails: SubscriptionDetails?
    /// 2025-03-31 (basil) and later: `parent.subscription_details.{subscription, metadata}`.
    let parent: Parent?
    let lines: Lines

    enum CodingKeys: String, CodingKey {
        case id, status, customer, subscription, parent, lines
        case subscriptionDetails = "subscription_details"
    }

    var subscriptionID: String? { subscription?.value ?? parent?.subscriptionDetails?.subscription?.value }
    var subscriptionMetadata: [String: String] { parent?.subscriptionDetails?.metadata ?? subscriptionDetails?.metadata ?? [:] }
    var priceIDs: [String] { lines.data.compactMap(\.priceID) }
}

/// `customer.subscription.*`.
struct Subscription: Decodable {
    struct Item: Decodable { let price: StripeID? }
    struct Items: Decodable { let data: [Item] }

    let id: String
    let status: String
    let customer: StripeID?
    let items: Items?
    let metadata: [String: String]?

    var priceIDs: [String] { items?.data.compactMap { $0.price?.value } ?? [] }
}
