// What Pictor sells: monthly plans, one-time credit packs, and the Stripe account that takes the
// money. Read from the config file's `[plan.NAME]`, `[pack.NAME]` and `[stripe]` sections
// (BillingSettings.swift).

import Foundation

/// A plan users can be on. `free` is the plan every account starts on and a cancelled
/// subscription returns to; the others are Stripe subscriptions.
public struct Plan: Sendable {
    public let id: String
    public var name: String
    /// What `/pricing` shows. Stripe charges its price's own amount: keep the two the same.
    public var priceCents: Int
    public var monthlyCredits: Int
    /// The Stripe Price (`price_…`, recurring monthly) a Checkout Session subscribes to.
    public var stripePrice: String?

    public init(id: String, name: String, priceCents: Int, monthlyCredits: Int, stripePrice: String? = nil) {
        self.id = id
        self.name = name
        self.priceCents = priceCents
        self.monthlyCredits = monthlyCredits
        self.stripePrice = stripePrice
    }

    /// The id of the plan that costs nothing.
    public static let freeID = "free"

    public static let defaults = [
        Plan(id: freeID, name: "Free", priceCents: 0, monthlyCredits: 50),
        Plan(id: "starter", name: "Starter", priceCents: 900, monthlyCredits: 500),
        Plan(id: "pro", name: "Pro", priceCents: 2900, monthlyCredits: 2000),
        Plan(id: "business", name: "Business", priceCents: 7900, monthlyCredits: 8000),
    ]

    public var isFree: Bool { id == Self.freeID }

    /// "$9" or "$9.50".
    public var displayPrice: String { Self.dollars(priceCents) }

    static func dollars(_ cents: Int) -> String {
        cents % 100 == 0 ? "$\(cents / 100)" : "$\(cents / 100).\(String(format: "%02d", cents % 100))"
    }

    /// "2,000".
    public var displayCredits: String { Format.number(monthlyCredits) }
}

/// A one-time credit pack: credits that never expire, bought once.
public struct CreditPack: Sendable {
    public let id: String
    public var credits: Int
    public var priceCents: Int
    /// The Stripe Price (`price_…`, one-time) a Checkout Session charges.
    public var stripePrice: String?

    public init(id: String, credits: Int, priceCents: Int, stripePrice: String? = nil) {
        self.id = id
        self.credits = credits
        self.priceCents = priceCents
        self.stripePrice = stripePrice
    }

    public static let defaults = [
        CreditPack(id: "small", credits: 100, priceCents: 500),
        CreditPack(id: "medium", credits: 500, priceCents: 2000),
        CreditPack(id: "large", credits: 2000, priceCents: 6000),
    ]

    /// "500 credits", as the page, the ledger and Stripe's receipt line name it.
    public var name: String { "\(displayCredits) credits" }
    public var displayPrice: String { Plan.dollars(priceCents) }
    public var displayCredits: String { Format.number(credits) }
}

/// The Stripe account payments go to.
public struct StripeSettings: Sendable {
    /// Stripe's API; tests point it at a local fake.
    public var apiBase = "https://api.stripe.com"
    /// The secret API key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`). Never logged.
    public var secretKey: String?
    /// The webhook endpoint's signing secret (`whsec_…`).
    public var webhookSecret: String?
    /// Seconds a call to Stripe may take.
    public var timeout = 20.0

    public init() {}

    /// Payments are taken only with both secrets: a checkout whose webhook could not be verified
    /// would take money and never credit it.
    public var isConfigured: Bool { secretKey != nil && webhookSecret != nil }
}

/// Everything `/pricing`, checkout and the webhook need.
public struct Billing: Sendable {
    public var plans = Plan.defaults
    public var packs = CreditPack.defaults
    public var stripe = StripeSettings()

    public init() {}

    public var freePlan: Plan { plans.first { $0.isFree }! }

    public func plan(_ id: String) -> Plan? { plans.first { $0.id == id } }
    public func pack(_ id: String) -> CreditPack? { packs.first { $0.id == id } }

    /// The plan a Stripe Price subscribes to.
    public func plan(stripePrice: String) -> Plan? { plans.first { $0.stripePrice == stripePrice } }

    /// Whether a paid plan or pack can be bought here now.
    func canBuy(stripePrice: String?) -> Bool { stripe.isConfigured && stripePrice != nil }
}
