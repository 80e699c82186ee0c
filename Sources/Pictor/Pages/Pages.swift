// The public pages that need no account: landing, privacy policy, terms.

import Templates

enum Pages {
    @Sendable static func landing(_ context: inout RequestContext) throws -> Reply {
        .page(LandingPage(config: context.app.config))
    }

    @Sendable static func privacy(_ context: inout RequestContext) throws -> Reply {
        .page(PrivacyPage())
    }

    @Sendable static func terms(_ context: inout RequestContext) throws -> Reply {
        .page(TermsPage(requestsPerMinute: context.app.config.generation.requestsPerMinute))
    }
}

/// `/`: what Pictor does, the models and the plans.
struct LandingPage: PageModel {
    static let template = "landing"
    let title = "Turn words into images"
    let description: String? = "Generate images from text with modern models. 50 free credits, a gallery, an API."

    struct PlanCard: TemplateModel {
        let plan: Plan
        var templateFields: TemplateFields {
            ["name": .text(plan.name), "price": .text(plan.displayPrice), "credits": .text(plan.displayCredits)]
        }
    }

    struct ModelCard: TemplateModel {
        let model: ImageModel
        var templateFields: TemplateFields {
            ["name": .text(model.name), "label": .text(model.label), "cost_label": .text(model.costLabel), "note": .text(model.summary),
             "is_preview": .flag(model.isOfflinePreview)]
        }
    }

    let plans: [PlanCard]
    let models: [ModelCard]
    /// Every model is drawn by the offline generator: the page says so.
    let previewMode: Bool

    init(config: Config) {
        plans = config.billing.plans.map(PlanCard.init)
        models = config.models.map(ModelCard.init)
        previewMode = config.models.allSatisfy(\.isOfflinePreview)
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["preview_mode": .flag(previewMode)]
        fields.add("plans", plans)
        fields.add("models", models)
        return fields
    }
}

struct PrivacyPage: PageModel {
    static let template = "privacy"
    let title = "Privacy policy"
    let description: String? = "How this Pictor instance handles your data."
    var templateFields: TemplateFields { [:] }
}

struct TermsPage: PageModel {
    static let template = "terms"
    let title = "Terms of service"
    let description: String? = "The terms for using this Pictor instance."
    /// The generation rate limit the terms quote.
    let requestsPerMinute: Int

    var templateFields: TemplateFields { ["rate_limit_per_minute": .number(requestsPerMinute)] }
}
