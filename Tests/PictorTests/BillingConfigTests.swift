// `[plan.NAME]`, `[pack.NAME]` and `[stripe]`: what /pricing sells, and when payments are on.

@testable import Pictor
import XCTest

final class BillingConfigTests: XCTestCase {
    private func load(_ text: String, environment: [String: String] = [:]) throws -> Config {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try Config.load(path: path, environment: environment)
    }

    func testTheShippedPlansAndPacksMatchTheContract() throws {
        let config = try load("")
        XCTAssertEqual(config.billing.plans.map(\.id), ["free", "starter", "pro", "business"])
        XCTAssertEqual(config.billing.plans.map(\.priceCents), [0, 900, 2900, 7900])
        XCTAssertEqual(config.billing.plans.map(\.monthlyCredits), [50, 500, 2000, 8000])
        XCTAssertEqual(config.billing.packs.map(\.credits), [100, 500, 2000])
        XCTAssertEqual(config.billing.packs.map(\.displayPrice), ["$5", "$20", "$60"])
        XCTAssertFalse(config.billing.stripe.isConfigured)
        XCTAssertEqual(config.billing.stripe.apiBase, "https://api.stripe.com")

        let shipped = try Config.load(path: PictorPaths.root + "/pictor.conf", environment: [:])
        XCTAssertEqual(shipped.billing.plans.map(\.name), ["Free", "Starter", "Pro", "Business"])
        XCTAssertEqual(shipped.billing.packs.map(\.id), ["small", "medium", "large"])
    }

    func testSectionsReplaceTheDefaultsInTheFilesOrderWithSecretsAndPricesFromTheEnvironment() throws {
        let text = """
        [plan.free]
        price = 0
        credits = 25
        [plan.team]
        name = Team
        price = 49.5
        credits = 5_000
        stripe_price = price_team
        [plan.solo]
        price = 12
        credits = 900
        [pack.tiny]
        price = 2.25
        credits = 20
        [stripe]
        api_base = http://127.0.0.1:12111/
        """
        let off = try load(text)
        XCTAssertEqual(off.billing.plans.map(\.id), ["free", "team", "solo"])
        XCTAssertEqual(off.billing.plans.map(\.name), ["Free", "Team", "Solo"])
        XCTAssertEqual(off.billing.plans.map(\.displayPrice), ["$0", "$49.50", "$12"])
        XCTAssertEqual(off.billing.packs.map(\.priceCents), [225])
        XCTAssertEqual(off.billing.stripe.apiBase, "http://127.0.0.1:12111")
        XCTAssertEqual(off.notices, ["payments are off: set PICTOR_STRIPE_SECRET_KEY and PICTOR_STRIPE_WEBHOOK_SECRET to take them"])

        let on = try load(text, environment: ["PICTOR_STRIPE_SECRET_KEY": "sk_test_1", "PICTOR_STRIPE_WEBHOOK_SECRET": "whsec_1",
                                              "PICTOR_PLAN_SOLO_STRIPE_PRICE": "price_solo"])
        XCTAssertTrue(on.billing.stripe.isConfigured)
        XCTAssertEqual(on.billing.plan(stripePrice: "price_solo")?.id, "solo")
        XCTAssertEqual(on.notices, ["pack tiny cannot be bought: it has no stripe_price"])

        let halfway = try load(text, environment: ["PICTOR_STRIPE_SECRET_KEY": "sk_test_1"])
        XCTAssertFalse(halfway.billing.stripe.isConfigured, "a checkout whose webhook cannot be verified would never credit")
        XCTAssertEqual(halfway.notices, ["payments are off: without stripe.webhook_secret (PICTOR_STRIPE_WEBHOOK_SECRET) no payment could be credited"])

        let defaults = try load("", environment: ["PICTOR_PLAN_PRO_STRIPE_PRICE": "price_pro"])
        XCTAssertEqual(defaults.billing.plan("pro")?.stripePrice, "price_pro", "the default plans take price ids from the environment")
    }

    func testMistakesAreErrorsThatNameTheSetting() throws {
        for (text, message) in [
            ("[plan.pro]\nprice = 29\ncredits = 2000\n", "[plan.free] is required, with price 0 and no stripe_price: every account starts on it"),
            ("[plan.free]\nprice = 1\ncredits = 50\n", "[plan.free] is required, with price 0 and no stripe_price: every account starts on it"),
            ("[plan.free]\nprice = 0\n", "plan.free.credits is required (credits, a whole number)"),
            ("[pack.x]\nprice = 9,99\ncredits = 10\n", "pack.x.price must be US dollars such as 9 or 9.50, got '9,99'"),
            ("[pack.x]\nprice = 9.999\ncredits = 10\n", "pack.x.price must be US dollars such as 9 or 9.50, got '9.999'"),
            ("[pack.x]\nprice = 5\ncredits = 0\n", "[pack.x]: a pack needs credits and a price above 0"),
            ("[pack.x]\nprice = 5\ncredits = 10\nstripe_price = prod_123\n", "pack.x.stripe_price must be a Stripe Price id (price_…), got 'prod_123'"),
            ("[pack.a]\nprice = 5\ncredits = 10\nstripe_price = price_1\n[pack.b]\nprice = 6\ncredits = 20\nstripe_price = price_1\n",
             "stripe_price price_1 is given to two plans or packs; each needs its own Stripe Price"),
            ("[plan.free]\nprice = 0\ncredits = 50\ncredit = 1\n", "unknown setting 'plan.free.credit'"),
            ("[stripe]\napi_base = api.stripe.com\n", "stripe.api_base must start with https:// (or http:// for a local test server)"),
            ("[stripe]\nsecret = sk_test\n", "unknown setting 'stripe.secret'"),
        ] {
            XCTAssertThrowsError(try load(text), text) { error in
                XCTAssertTrue("\(error)".hasSuffix(message), "\(text): \(error)")
            }
        }
    }
}
