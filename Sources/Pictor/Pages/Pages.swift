// The public pages that need no account: landing, privacy policy, terms.

import FastCGI

enum Pages {
    static func register(in router: inout Router) {
        router.get("/", landing)
        router.get("/privacy", privacy)
        router.get("/terms", terms)
    }

    @Sendable static func landing(_ context: inout RequestContext) throws -> Response {
        let config = context.app.config
        let plans: [[String: Any]] = config.plans.map {
            ["id": $0.id, "name": $0.name, "price": $0.displayPrice, "credits": $0.displayCredits]
        }
        let models: [[String: Any]] = config.models.map {
            ["name": $0.name, "cost_label": $0.costLabel, "note": $0.summary, "is_preview": $0.isOfflinePreview]
        }
        return context.app.views.page("landing", [
            "title": "Turn words into images",
            "description": "Generate images from text with modern models. 50 free credits, a gallery, an API.",
            "plans": plans,
            "models": models,
            "preview_mode": config.models.allSatisfy(\.isOfflinePreview),
        ])
    }

    @Sendable static func privacy(_ context: inout RequestContext) throws -> Response {
        context.app.views.page("privacy", ["title": "Privacy policy", "description": "How this Pictor instance handles your data."])
    }

    @Sendable static func terms(_ context: inout RequestContext) throws -> Response {
        context.app.views.page("terms", ["title": "Terms of service", "description": "The terms for using this Pictor instance."])
    }
}
