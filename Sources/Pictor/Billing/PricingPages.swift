// GET /pricing: the plans side by side, what each buys with every offered model, and the
// credit packs, each with the button that fits the visitor: sign up, subscribe, buy, manage
// the subscription in Stripe's portal, or "not available" while payments are not configured.

import Crypto
import Templates

enum PricingPages {
    @Sendable static func pricing(_ context: inout RequestContext) throws -> Reply {
        let user = try context.session()?.user
        return .page(PricingPage(billing: context.app.config.billing, models: context.app.config.models, user: user))
    }
}

struct PricingPage: PageModel {
    static let template = "pricing"
    let title = "Pricing"
    let description: String? = "Monthly plans and one-time credit packs. Every model's cost per image."
    var nav: NavItem? { .pricing }

    /// What a plan's or pack's button does for this visitor.
    enum Action: Sendable, Equatable {
        /// The visitor's own plan.
        case current
        /// Signed out: sign up, then come back here.
        case signUp(label: String)
        /// POST /billing/checkout with `field` = the plan's or pack's id.
        case checkout(field: String, id: String, label: String)
        /// POST /billing/portal: plan changes and cancellation happen in Stripe's portal.
        case portal(label: String)
        /// Payments are not configured on this instance, or this item has no Stripe Price.
        case unavailable(label: String)

        var templateFields: TemplateFields {
            switch self {
            case .current: ["current": .flag(true)]
            case .signUp(let label): ["sign_up": .flag(true), "label": .text(label)]
            case .checkout(let field, let id, let label): ["checkout": .flag(true), "field": .text(field), "id": .text(id), "label": .text(label)]
            case .portal(let label): ["portal": .flag(true), "label": .text(label)]
            case .unavailable(let label): ["unavailable": .flag(true), "label": .text(label)]
            }
        }
    }

    struct PlanCard: TemplateModel {
        let plan: Plan
        let models: [ImageModel]
        let action: Action

        /// "250 images with Stable Diffusion XL (2 credits each)".
        struct ImageCount: TemplateModel {
            let plan: Plan
            let model: ImageModel
            var templateFields: TemplateFields {
                let count = model.creditCost == 0 ? "Unlimited" : Format.number(plan.monthlyCredits / model.creditCost)
                return ["count": .text(count), "label": .text(model.label), "cost_label": .text(model.costLabel)]
            }
        }

        var images: [ImageCount] { models.map { ImageCount(plan: plan, model: $0) } }

        var templateFields: TemplateFields {
            var fields: TemplateFields = [
                "id": .text(plan.id), "name": .text(plan.name), "price": .text(plan.displayPrice),
                "credits": .text(plan.displayCredits), "is_current": .flag(action == .current),
                "action": .fields(action.templateFields),
            ]
            fields.add("images", images)
            return fields
        }
    }

    struct PackCard: TemplateModel {
        let pack: CreditPack
        let action: Action
        var templateFields: TemplateFields {
            ["credits": .text(pack.displayCredits), "price": .text(pack.displayPrice), "action": .fields(action.templateFields)]
        }
    }

    let plans: [PlanCard]
    let packs: [PackCard]
    let signedIn: Bool
    let paymentsConfigured: Bool
    /// Sent with every buy button: one Stripe idempotency key per render of this page.
    let attempt = Crypto.randomToken(bytes: 16)

    init(billing: Billing, models: [ImageModel], user: User?) {
        plans = billing.plans.map { PlanCard(plan: $0, models: models, action: Self.action(for: $0, billing: billing, user: user)) }
        packs = billing.packs.map { PackCard(pack: $0, action: Self.action(for: $0, billing: billing, user: user)) }
        signedIn = user != nil
        paymentsConfigured = billing.stripe.isConfigured
    }

    static func action(for plan: Plan, billing: Billing, user: User?) -> Action {
        guard let user else {
            if plan.isFree { return .signUp(label: "Start free") }
            return billing.canBuy(stripePrice: plan.stripePrice) ? .signUp(label: "Sign up to subscribe") : unavailable(billing)
        }
        if plan.id == user.plan { return .current }
        let subscribed = user.stripeSubscriptionID != nil && user.stripeCustomerID != nil && billing.stripe.isConfigured
        if plan.isFree { return subscribed ? .portal(label: "Cancel in the billing portal") : unavailable(billing) }
        if subscribed { return .portal(label: "Switch in the billing portal") }
        return billing.canBuy(stripePrice: plan.stripePrice) ? .checkout(field: "plan", id: plan.id, label: "Subscribe") : unavailable(billing)
    }

    static func action(for pack: CreditPack, billing: Billing, user: User?) -> Action {
        guard billing.canBuy(stripePrice: pack.stripePrice) else { return unavailable(billing) }
        guard user != nil else { return .signUp(label: "Sign up to buy") }
        return .checkout(field: "pack", id: pack.id, label: "Buy")
    }

    private static func unavailable(_ billing: Billing) -> Action {
        .unavailable(label: billing.stripe.isConfigured ? "Not sold here" : "Payments not configured")
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["signed_in": .flag(signedIn), "payments_configured": .flag(paymentsConfigured),
                                      "attempt": .text(attempt)]
        fields.add("plans", plans)
        fields.add("packs", packs)
        return fields
    }
}
