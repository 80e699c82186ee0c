// `[plan.NAME]`, `[pack.NAME]` and `[stripe]` in the config file: what is sold, for how much,
// under which Stripe Price, and the Stripe account's keys.

import Foundation

enum BillingSettings {
    static let planFields = ["name", "price", "credits", "stripe_price"]
    static let packFields = ["price", "credits", "stripe_price"]
    static let stripeKeys = ["stripe.api_base", "stripe.secret_key", "stripe.webhook_secret", "stripe.timeout"]

    /// `plan.pro.stripe_price`, `pack.small.credits` and the like.
    static func isSectionKey(_ key: String) -> Bool {
        guard let (section, _, field) = split(key) else { return false }
        return (section == "plan" ? planFields : packFields).contains(field)
    }

    private static func split(_ key: String) -> (String, String, String)? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "plan" || parts[0] == "pack", !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// The section names of one kind, in the file's order.
    private static func names(_ section: String, in values: [String: String], lines: [String: Int]) -> [String] {
        var first: [String: Int] = [:]
        for key in values.keys {
            guard let (kind, name, _) = split(key), kind == section else { continue }
            first[name] = min(first[name] ?? Int.max, lines[key] ?? Int.max)
        }
        return first.keys.sorted { (first[$0]!, $0) < (first[$1]!, $1) }
    }

    /// The file's values with the default plans and packs written in where it declares none, so
    /// that the environment can set a default plan's Stripe Price
    /// (`PICTOR_PLAN_PRO_STRIPE_PRICE`) and one parser reads both.
    static func withDefaults(_ values: [String: String], lines: inout [String: Int]) -> [String: String] {
        var values = values
        if names("plan", in: values, lines: lines).isEmpty {
            for (index, plan) in Plan.defaults.enumerated() {
                values["plan.\(plan.id).name"] = plan.name
                values["plan.\(plan.id).price"] = String(plan.priceCents / 100)
                values["plan.\(plan.id).credits"] = String(plan.monthlyCredits)
                lines["plan.\(plan.id).name"] = index
            }
        }
        if names("pack", in: values, lines: lines).isEmpty {
            for (index, pack) in CreditPack.defaults.enumerated() {
                values["pack.\(pack.id).price"] = String(pack.priceCents / 100)
                values["pack.\(pack.id).credits"] = String(pack.credits)
                lines["pack.\(pack.id).price"] = index
            }
        }
        return values
    }

    /// `PICTOR_PLAN_<NAME>_<FIELD>` and `PICTOR_PACK_<NAME>_<FIELD>` for every plan and pack.
    static func environmentKeys(for values: [String: String], lines: [String: Int]) -> [String] {
        names("plan", in: values, lines: lines).flatMap { name in planFields.map { "plan.\(name).\($0)" } }
            + names("pack", in: values, lines: lines).flatMap { name in packFields.map { "pack.\(name).\($0)" } }
    }

    /// The plans and packs in the file's order, the Stripe settings, and notices about what
    /// cannot be bought and why.
    static func resolve(_ values: [String: String], lines: [String: Int]) throws -> (billing: Billing, notices: [String]) {
        var billing = Billing()
        billing.stripe = try stripe(values)
        billing.plans = try names("plan", in: values, lines: lines).map { try plan($0, values) }
        billing.packs = try names("pack", in: values, lines: lines).map { try pack($0, values) }
        guard let free = billing.plan(Plan.freeID), free.priceCents == 0, free.stripePrice == nil else {
            throw ConfigError(description: "[plan.free] is required, with price 0 and no stripe_price: every account starts on it")
        }
        let prices = billing.plans.compactMap(\.stripePrice) + billing.packs.compactMap(\.stripePrice)
        if let repeated = prices.first(where: { price in prices.filter { $0 == price }.count > 1 }) {
            throw ConfigError(description: "stripe_price \(repeated) is given to two plans or packs; each needs its own Stripe Price")
        }
        return (billing, notices(billing))
    }

    private static func notices(_ billing: Billing) -> [String] {
        let stripe = billing.stripe
        guard stripe.secretKey != nil || stripe.webhookSecret != nil else {
            return ["payments are off: set PICTOR_STRIPE_SECRET_KEY and PICTOR_STRIPE_WEBHOOK_SECRET to take them"]
        }
        if stripe.secretKey == nil { return ["payments are off: stripe.webhook_secret is set but not stripe.secret_key (PICTOR_STRIPE_SECRET_KEY)"] }
        if stripe.webhookSecret == nil {
            return ["payments are off: without stripe.webhook_secret (PICTOR_STRIPE_WEBHOOK_SECRET) no payment could be credited"]
        }
        let unpriced = billing.plans.filter { !$0.isFree && $0.stripePrice == nil }.map { "plan \($0.id)" }
            + billing.packs.filter { $0.stripePrice == nil }.map { "pack \($0.id)" }
        return unpriced.map { "\($0) cannot be bought: it has no stripe_price" }
    }

    private static func stripe(_ values: [String: String]) throws -> StripeSettings {
        var stripe = StripeSettings()
        func value(_ key: String) -> String? { values["stripe." + key].flatMap { $0.isEmpty ? nil : $0 } }
        if var base = value("api_base") {
            while base.hasSuffix("/") { base.removeLast() }
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw ConfigError(description: "stripe.api_base must start with https:// (or http:// for a local test server)")
            }
            stripe.apiBase = base
        }
        stripe.secretKey = value("secret_key")
        stripe.webhookSecret = value("webhook_secret")
        if let text = value("timeout") {
            guard let seconds = Double(text), seconds > 0, seconds <= 300 else {
                throw ConfigError(description: "stripe.timeout must be a number of seconds up to 300, got '\(text)'")
            }
            stripe.timeout = seconds
        }
        return stripe
    }

    private static func plan(_ id: String, _ values: [String: String]) throws -> Plan {
        try checkName(id, section: "plan")
        let prefix = "plan.\(id)."
        return Plan(id: id, name: values[prefix + "name"].flatMap { $0.isEmpty ? nil : $0 } ?? id.capitalized,
                    priceCents: try cents(prefix + "price", values),
                    monthlyCredits: try credits(prefix + "credits", values),
                    stripePrice: try stripePrice(prefix + "stripe_price", values))
    }

    private static func pack(_ id: String, _ values: [String: String]) throws -> CreditPack {
        try checkName(id, section: "pack")
        let prefix = "pack.\(id)."
        let pack = CreditPack(id: id, credits: try credits(prefix + "credits", values), priceCents: try cents(prefix + "price", values),
                              stripePrice: try stripePrice(prefix + "stripe_price", values))
        guard pack.credits > 0, pack.priceCents > 0 else {
            throw ConfigError(description: "[pack.\(id)]: a pack needs credits and a price above 0")
        }
        return pack
    }

    /// Plan and pack ids travel in forms and Stripe metadata: plain ids only.
    private static func checkName(_ name: String, section: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_-".unicodeScalars.contains($0) }
        guard allowed, name.count <= 40 else {
            throw ConfigError(description: "[\(section).\(name)]: a name may hold only letters, digits, '_' and '-' (at most 40)")
        }
    }

    /// "9", "9.5" or "9.50" US dollars → 900, 950, 950.
    private static func cents(_ key: String, _ values: [String: String]) throws -> Int {
        guard let text = values[key] else { throw ConfigError(description: "\(key) is required (US dollars, e.g. 9 or 9.50)") }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let dollars = Int(parts[0]), dollars >= 0, dollars <= 1_000_000,
              parts.count == 1 || (1...2).contains(parts[1].count) && parts[1].allSatisfy(\.isASCII) && Int(parts[1]) != nil else {
            throw ConfigError(description: "\(key) must be US dollars such as 9 or 9.50, got '\(text)'")
        }
        let fraction = parts.count == 2 ? Int(parts[1].count == 1 ? parts[1] + "0" : parts[1])! : 0
        return dollars * 100 + fraction
    }

    private static func credits(_ key: String, _ values: [String: String]) throws -> Int {
        guard let text = values[key] else { throw ConfigError(description: "\(key) is required (credits, a whole number)") }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), (0...100_000_000).contains(value) else {
            throw ConfigError(description: "\(key) must be a whole number of credits, got '\(text)'")
        }
        return value
    }

    /// Stripe Price ids start with `price_`; a product id (`prod_…`) pasted by mistake is caught here.
    private static func stripePrice(_ key: String, _ values: [String: String]) throws -> String? {
        guard let text = values[key], !text.isEmpty else { return nil }
        guard text.hasPrefix("price_"), text.count <= 255, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ConfigError(description: "\(key) must be a Stripe Price id (price_…), got '\(text)'")
        }
        return text
    }
}
