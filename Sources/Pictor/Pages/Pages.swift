// The public pages that need no account: landing, privacy policy, terms.

import Foundation
import Templates

enum Pages {
    @Sendable static func landing(_ context: inout RequestContext) throws -> Reply {
        .page(LandingPage(config: context.app.config))
    }

    @Sendable static func privacy(_ context: inout RequestContext) throws -> Reply {
        .page(PrivacyPage(config: context.app.config))
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

    /// A service this instance's config sends people's data to.
    struct Processor: TemplateModel, Equatable {
        let name: String
        let purpose: String
        /// The host data goes to, as configured.
        let address: String

        var templateFields: TemplateFields { ["name": .text(name), "purpose": .text(purpose), "address": .text(address)] }
    }

    let processors: [Processor]

    init(config: Config) {
        processors = Self.processors(config)
    }

    /// Read from the config, so the page names exactly the services in use: the providers of
    /// the offered models, Stripe once payments are on, the mail server, the moderation service,
    /// the sign-in providers, the bucket.
    static func processors(_ config: Config) -> [Processor] {
        func host(_ url: String) -> String { URLComponents(string: url)?.host ?? url }
        var list: [Processor] = config.providers.filter { $0.kind != .builtin }.map { provider in
            let models = config.models.filter { $0.provider == provider.name }.map(\.label).joined(separator: ", ")
            let service = switch provider.kind {
            case .pixelapi: "PixelAPI"
            case .openai: provider.url == ProviderKind.openai.defaultURL ? "OpenAI" : "An OpenAI-compatible image service"
            case .a1111: "A Stable Diffusion server (AUTOMATIC1111 API)"
            case .builtin: "Pictor"
            }
            return Processor(name: service, purpose: "Makes images from prompts and their settings (\(models))", address: host(provider.url))
        }
        if config.billing.stripe.isConfigured {
            list.append(Processor(name: "Stripe", purpose: "Payments, subscriptions, invoices and the billing portal", address: host(config.billing.stripe.apiBase)))
        }
        if let url = config.mail.url {
            list.append(Processor(name: "Mail server", purpose: "Delivers service emails (address confirmation, password reset, low credits)", address: host(url)))
        }
        if config.moderation.external {
            list.append(Processor(name: "Moderation service", purpose: "Checks the text of each prompt against its content rules", address: host(config.moderation.url)))
        }
        for settings in config.signIn.configured {
            list.append(Processor(name: settings.provider.label, purpose: "Signs in those who choose “Continue with \(settings.provider.label)”; tells us their account id and verified email address",
                                  address: host(settings.authorizeURL)))
        }
        if config.storage.backend == .s3 {
            list.append(Processor(name: "Object storage", purpose: "Holds generated images and thumbnails", address: host(config.storage.s3Endpoint)))
        }
        return list
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["has_processors": .flag(!processors.isEmpty)]
        fields.add("processors", processors)
        return fields
    }
}

struct TermsPage: PageModel {
    static let template = "terms"
    let title = "Terms of service"
    let description: String? = "The terms for using this Pictor instance."
    /// The generation rate limit the terms quote.
    let requestsPerMinute: Int

    var templateFields: TemplateFields { ["rate_limit_per_minute": .number(requestsPerMinute)] }
}
