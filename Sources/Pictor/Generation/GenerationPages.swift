// The /generate form and the /generations/{id} page (refreshes itself until the image is done).

import FastCGI
import Foundation

enum GenerationPages {
    /// The workspace: the form, the results of the last request (`?batch=<id>`, where a post
    /// lands) with the form still holding its settings, and the recent prompts. `?remix=<id>`
    /// fills the form from one of the user's images, seed included.
    @Sendable static func form(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let store = GenerationStore(db: try context.db())
        let query = try context.query()
        var prefill = GenerationInput.Raw()
        var results: [Generation] = []
        if let batch = query["batch"].flatMap(UUID.init(uuidString:)) {
            results = try store.batch(id: batch, userID: user.id)
            if let first = results.first {
                prefill = settings(of: first, seed: false)
                prefill.count = results.count
            }
        } else if let remix = query["remix"].flatMap(UUID.init(uuidString:)), let source = try store.find(id: remix, userID: user.id) {
            prefill = settings(of: source, seed: true)
        }
        var page = formPage(context.app.config, user: user, prefill: prefill)
        let links = PageMediaLinks(media: context.app.media)
        page.results = results.map { GeneratePage.Result(generation: $0, links: links) }
        page.recent = try store.recentPrompts(userID: user.id, limit: 6).map { GeneratePage.Recent(id: $0.id, prompt: $0.prompt) }
        return .page(page)
    }

    /// The form's values for another image like `source`; with its seed, the same image again.
    private static func settings(of source: Generation, seed: Bool) -> GenerationInput.Raw {
        var raw = GenerationInput.Raw()
        raw.prompt = source.prompt
        raw.negative_prompt = source.negativePrompt
        raw.model = source.model
        raw.width = source.width
        raw.height = source.height
        raw.public = source.isPublic
        if seed { raw.seed = source.seed }
        return raw
    }

    @Sendable static func submit(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        let form = try context.form()
        let fields = Dictionary(form.pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        var raw = GenerationInput.Raw()
        do {
            raw = try GenerationInput.raw(fromForm: fields)
            let created = try GenerationStore(db: context.db()).start(raw, userID: user.id, config: context.app.config,
                                                                        moderator: context.app.moderator, idempotencyKey: nil,
                                                                        requestID: context.requestID)
            // Back to the workspace, which shows the request's images as they arrive and keeps
            // the form as it was sent.
            return .redirect(to: "/generate?batch=" + created[0].batchID.uuidString.lowercased() + "#results")
        } catch let error as HTTPError where error.status < 500 {
            raw.prompt = fields["prompt"]
            raw.negative_prompt = fields["negative_prompt"]
            raw.model = fields["model"]
            raw.public = fields["public"].map { $0 == "on" || $0 == "true" || $0 == "1" }
            var page = formPage(context.app.config, user: user, prefill: raw,
                                seedText: fields["seed"], countText: fields["count"], sizeText: fields["size"])
            page.error = error.message
            var reply = Reply.page(page, status: error.status)
            for (name, value) in error.headers { reply.setHeader(name, value) }
            return reply
        }
    }

    private static func formPage(_ config: Config, user: User, prefill: GenerationInput.Raw,
                                 seedText: String? = nil, countText: String? = nil, sizeText: String? = nil) -> GeneratePage {
        let models = config.models
        let chosen = models.first { $0.name == prefill.model } ?? models[0]
        let size = sizeText ?? "\(prefill.width ?? 1024)x\(prefill.height ?? 1024)"
        let count = countText ?? String(prefill.count ?? 1)
        let images = min(max(Int(count) ?? 1, 1), GenerationInput.maxCount)
        return GeneratePage(
            form: .init(prompt: prefill.prompt ?? "", negativePrompt: prefill.negative_prompt,
                        seed: seedText ?? prefill.seed.map(String.init), isPublic: prefill.public == true),
            balance: Format.number(user.credits),
            models: models.map { GeneratePage.ModelOption(model: $0, checked: $0.name == chosen.name) },
            // Only the sizes the chosen model makes (generate.js swaps them when another is picked).
            sizes: chosen.sizes.map { .init(value: $0.description, label: GeneratePage.sizeLabel($0, model: chosen), selected: $0.description == size) },
            counts: (1...GenerationInput.maxCount).map { .init(value: String($0), label: String($0), selected: String($0) == count) },
            previewMode: models.allSatisfy(\.isOfflinePreview),
            credits: user.credits, total: chosen.creditCost * images, price: chosen.creditCost, count: images)
    }

    /// Anyone may see a public image; a private one only its owner (404 for everyone else,
    /// the same as for an image that does not exist).
    @Sendable static func show(_ context: inout RequestContext) throws -> Reply {
        let viewer = try context.session()?.user
        guard let generation = try GenerationStore(db: context.db())
            .findVisible(id: try GenerationAPI.generationID(context), viewerID: viewer?.id) else {
            if viewer == nil { _ = try context.requireUser() }   // maybe theirs: log in first
            throw HTTPError.notFound("There is no such image.")
        }
        let site = context.app.config.site
        let isOwner = generation.userID == viewer?.id
        let batch = try GenerationStore(db: context.db()).batch(of: generation, viewerID: viewer?.id)
        let title = !isOwner ? "An image on \(site.name)" : generation.isFinished ? "Your image" : "Drawing your image…"
        return .page(GenerationPage(title: title, generation: generation, isOwner: isOwner, siteName: site.name,
                                    publicURL: site.publicURL, links: PageMediaLinks(media: context.app.media), batch: batch))
    }

    @Sendable static func delete(_ context: inout RequestContext) throws -> Reply {
        let user = try context.requireUser()
        guard let deleted = try GenerationStore(db: context.db()).delete(id: try GenerationAPI.generationID(context), userID: user.id) else {
            throw HTTPError.notFound("There is no such image.")
        }
        context.app.media.delete(deleted.fileKeys)
        context.notify(.imageDeleted)
        // Back where the delete was pressed (a gallery tile sends its page); from the image's own
        // page, which no longer exists, to the gallery.
        return .redirect(to: safeLocalPath(try context.form()["back"]) ?? "/gallery")
    }
}
