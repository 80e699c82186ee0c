// GET /pricing: the plans side by side, what each buys with every offered model, and the
// credit packs. Open to everyone; a signed-in user's plan is marked.

import Templates

enum PricingPages {
    @Sendable static func pricing(_ context: inout RequestContext) throws -> Reply {
        let user = try context.session()?.user
        return .page(PricingPage(config: context.app.config, currentPlan: user?.plan, signedIn: user != nil))
    }
}

struct PricingPage: PageModel {
    static let template = "pricing"
    let title = "Pricing"
    let description: String? = "Monthly plans and one-time credit packs. Every model's cost per image."
    var nav: NavItem? { .pricing }

    struct PlanCard: TemplateModel {
        let plan: Plan
        let models: [ImageModel]
        let isCurrent: Bool

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
                "credits": .text(plan.displayCredits), "is_free": .flag(plan.priceCents == 0), "is_current": .flag(isCurrent),
            ]
            fields.add("images", images)
            return fields
        }
    }

    struct PackCard: TemplateModel {
        let pack: CreditPack
        var templateFields: TemplateFields {
            ["credits": .text(pack.displayCredits), "price": .text(pack.displayPrice)]
        }
    }

    let plans: [PlanCard]
    let packs: [PackCard]
    let signedIn: Bool

    init(config: Config, currentPlan: String?, signedIn: Bool) {
        plans = config.plans.map { PlanCard(plan: $0, models: config.models, isCurrent: $0.id == currentPlan) }
        packs = config.packs.map(PackCard.init)
        self.signedIn = signedIn
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["signed_in": .flag(signedIn)]
        fields.add("plans", plans)
        fields.add("packs", packs)
        return fields
    }
}
