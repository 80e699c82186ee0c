// Subscription plans: what each costs and how many credits it grants a month.

import Foundation

/// A plan users can be on. Billing (Stripe price ids) attaches to these later.
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
    public var displayPrice: String {
        priceCents % 100 == 0 ? "$\(priceCents / 100)" : "$\(priceCents / 100).\(String(format: "%02d", priceCents % 100))"
    }

    /// "2,000".
    public var displayCredits: String { Format.number(monthlyCredits) }
}
