// The /generate form and the /generations/{id} page (refreshes itself until the image is done).

import FastCGI
import Foundation

enum GenerationPages {
    static func register(in router: inout Router) {
        router.get("/generate", form)
        router.post("/generate", submit)
        router.get("/generations/{id}", show)
        router.post("/generations/{id}/delete", delete)
    }

    /// The form; `?remix=<id>` prefills it from one of the user's generations.
    @Sendable static func form(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        var prefill = GenerationInput.Raw()
        if let remix = try context.request.query()["remix"], let id = UUID(uuidString: remix),
           let source = try Generations(db: context.db()).find(id: id, userID: user.id) {
            prefill.prompt = source.prompt
            prefill.negative_prompt = source.negativePrompt
            prefill.model = source.model
            prefill.width = source.width
            prefill.height = source.height
            prefill.seed = source.seed
        }
        return try formPage(&context, user: user, prefill: prefill)
    }

    @Sendable static func submit(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        let form = try context.form()
        let fields = Dictionary(form.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        var raw = GenerationInput.Raw()
        do {
            raw = try GenerationInput.raw(fromForm: fields)
            let created = try Generations(db: context.db()).start(raw, userID: user.id, config: context.app.config, idempotencyKey: nil)
            return .redirect(to: "/generations/" + created[0].idString)
        } catch let error as HTTPError where error.status < 500 {
            raw.prompt = fields["prompt"]
            raw.negative_prompt = fields["negative_prompt"]
            raw.model = fields["model"]
            raw.public = fields["public"].map { $0 == "on" || $0 == "true" || $0 == "1" }
            var response = try formPage(&context, user: user, prefill: raw, status: error.status, error: error.message,
                                        seedText: fields["seed"], countText: fields["count"], sizeText: fields["size"])
            for (name, value) in error.headers { response.setHeader(name, value) }
            return response
        }
    }

    private static func formPage(_ context: inout RequestContext, user: User, prefill: GenerationInput.Raw, status: Int = 200,
                                 error: String? = nil, seedText: String? = nil, countText: String? = nil,
                                 sizeText: String? = nil) throws -> Response {
        let models = context.app.config.models
        let chosen = models.first { $0.name == prefill.model } ?? models[0]
        let size = sizeText ?? "\(prefill.width ?? 1024)x\(prefill.height ?? 1024)"
        var allSizes: [ImageSize] = []
        for model in models { for size in model.sizes where !allSizes.contains(size) { allSizes.append(size) } }
        let count = countText ?? String(prefill.count ?? 1)
        // Empty strings count as present in Mustache: leave out what is empty.
        var formValues: [String: Any] = ["prompt": prefill.prompt ?? ""]
        if let negative = prefill.negative_prompt, !negative.isEmpty { formValues["negative_prompt"] = negative }
        if let seed = seedText ?? prefill.seed.map(String.init), !seed.isEmpty { formValues["seed"] = seed }
        if prefill.public == true { formValues["public"] = true }
        return try context.page("generate", status: status, [
            "title": "Generate",
            "nav": ["generate": true],
            "error": error as Any,
            "balance": Format.number(user.credits),
            "form": formValues,
            "models": models.map { model -> [String: Any] in
                var values: [String: Any] = ["name": model.name, "cost_label": model.costLabel, "summary": model.summary]
                if model.name == chosen.name { values["checked"] = true }
                if model.isOfflinePreview { values["is_preview"] = true }
                return values
            },
            "sizes": allSizes.map { item -> [String: Any] in
                var values: [String: Any] = ["value": item.description, "label": Self.label(item)]
                if item.description == size { values["selected"] = true }
                return values
            },
            "counts": (1...GenerationInput.maxCount).map { value -> [String: Any] in
                String(value) == count ? ["value": value, "selected": true] : ["value": value]
            },
            "preview_mode": models.allSatisfy(\.isOfflinePreview),
            "low_balance": user.credits < chosen.creditCost * (Int(count) ?? 1),
        ])
    }

    static func label(_ size: ImageSize) -> String {
        let shape = size.width == size.height ? "square" : size.width > size.height ? "landscape" : "portrait"
        return "\(size.width) × \(size.height) — \(shape)"
    }

    /// Anyone may see a public image; a private one only its owner (404 for everyone else,
    /// the same as for an image that does not exist).
    @Sendable static func show(_ context: inout RequestContext) throws -> Response {
        let viewer = try context.session()?.user
        guard let generation = try Generations(db: context.db())
            .findVisible(id: try GenerationAPI.generationID(context), viewerID: viewer?.id) else {
            if viewer == nil { _ = try context.requireUser() }   // maybe theirs: log in first
            throw HTTPError.notFound("There is no such image.")
        }
        let id = generation.idString
        var values: [String: Any] = [
            "id": id, "status": generation.status.rawValue, "prompt": generation.prompt, "model": generation.model,
            "width": generation.width, "height": generation.height, "seed": generation.seed, "credit_cost": generation.creditCost,
            "created": Format.minute(generation.createdAt), "remix_url": "/generate?remix=" + id, "api_url": "/api/v1/generations/" + id,
        ]
        if !generation.negativePrompt.isEmpty { values["negative_prompt"] = generation.negativePrompt }
        if let completed = generation.completedAt { values["completed"] = Format.minute(completed) }
        if let error = generation.error { values["error"] = error }
        if generation.provider == "builtin" { values["is_preview"] = true }
        switch generation.status {
        case .queued, .running: values["is_pending"] = true
        case .succeeded: values["is_succeeded"] = true
        case .failed: values["is_failed"] = true
        }
        if let imageURL = generation.url(.image) {
            values["image_url"] = imageURL
            values["download_name"] = generation.downloadName
        }
        values["thumbnail_url"] = generation.url(.thumbnail) as Any
        values["thumbnail_large_url"] = generation.url(.thumbnailLarge) as Any
        let isOwner = generation.userID == viewer?.id
        if isOwner { values["is_owner"] = true }
        if generation.favorite { values["favorite"] = true }
        let site = context.app.config.site
        if generation.isPublic {
            values["public"] = true
            values["share_url"] = site.publicURL + "/generations/" + id
        }
        var page: [String: Any] = [
            "title": !isOwner ? "An image on \(site.name)" : generation.isFinished ? "Your image" : "Drawing your image…",
            "generation": values,
        ]
        if generation.isPublic, let thumbnail = generation.url(.thumbnailLarge) {
            page["og"] = ["title": String(generation.prompt.prefix(100)), "description": "Made with \(generation.model) on \(site.name).",
                          "image": site.publicURL + thumbnail, "url": site.publicURL + "/generations/" + id]
        }
        if !generation.isFinished { page["refresh_seconds"] = 2 }
        return try context.page("generation", page)
    }

    @Sendable static func delete(_ context: inout RequestContext) throws -> Response {
        let user = try context.requireUser()
        guard let deleted = try Generations(db: context.db()).delete(id: try GenerationAPI.generationID(context), userID: user.id) else {
            throw HTTPError.notFound("There is no such image.")
        }
        context.app.media.delete(deleted.fileKeys)
        return .redirect(to: "/generate")
    }
}
