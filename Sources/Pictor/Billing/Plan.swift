// Subscription plans: what each costs and how many credits it grants a month.

import Foundation

/// A plan users can be on. Payments (Stripe price ids) are not built yet: `/pricing` says so.
public struct Plan: Sendable {
    public let id: String
    public let name: String
    public let priceCents: Int
    public let monthlyCredits: Int

    public static let defaults = [
        Plan(id: "free", name: "Free", priceCents: 0, monthlyCredits: 50),
        Plan(id: "starter", name: "Starter", priceCents: 900, monthlyCredits: 500),
        Plan(id: "pro", name: "Pro", priceCents: 2900, monthlyCredits: 2000),
        Plan(id: "business", name: "Business", priceCents: 7900, monthlyCredits: 8000),
    ]

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
    public let credits: Int
    public let priceCents: Int

    public static let defaults = [
        CreditPack(id: "pack-100", credits: 100, priceCents: 500),
        CreditPack(id: "pack-500", credits: 500, priceCents: 2000),
        CreditPack(id: "pack-2000", credits: 2000, priceCents: 6000),
    ]

    public var displayPrice: String { Plan.dollars(priceCents) }
    public var displayCredits: String { Format.number(credits) }
}
