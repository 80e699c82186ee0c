// The view models of the /generate form and the /generations/{id} page.

import Templates

/// `/generate`: the form (empty, prefilled for a remix, or refilled after an error).
struct GeneratePage: PageModel {
    static let template = "generate"
    let title = "Generate"
    let nav: NavItem? = .generate

    /// What the form fields show, as the person typed them.
    struct Form: TemplateModel {
        var prompt = ""
        var negativePrompt: String?
        var seed: String?
        var isPublic = false

        var templateFields: TemplateFields {
            // Empty strings count as present in Mustache: leave out what is empty.
            var fields: TemplateFields = ["prompt": .text(prompt), "public": .flag(isPublic)]
            if let negativePrompt, !negativePrompt.isEmpty { fields.add("negative_prompt", .text(negativePrompt)) }
            if let seed, !seed.isEmpty { fields.add("seed", .text(seed)) }
            return fields
        }
    }

    struct ModelOption: TemplateModel {
        let model: ImageModel
        let checked: Bool
        var templateFields: TemplateFields {
            ["name": .text(model.name), "label": .text(model.label), "cost_label": .text(model.costLabel), "summary": .text(model.summary),
             "checked": .flag(checked), "is_preview": .flag(model.isOfflinePreview), "cost": .number(model.creditCost),
             // For generate.js, which offers only the sizes of the model picked: "1024x1024=label|…".
             "sizes": .text(model.sizes.map { "\($0.description)=\(GeneratePage.sizeLabel($0, model: model))" }.joined(separator: "|"))]
        }
    }

    /// "1024 × 768 — landscape", and for a model that upscales, the size of the file it makes.
    static func sizeLabel(_ size: ImageSize, model: ImageModel) -> String {
        let shape = size.width == size.height ? "square" : size.width > size.height ? "landscape" : "portrait"
        let saved = model.upscale ? ", saved at \(size.width * 2) × \(size.height * 2)" : ""
        return "\(size.width) × \(size.height) — \(shape)\(saved)"
    }

    /// A `<select>` option.
    struct Option: TemplateModel {
        let value: String
        let label: String
        let selected: Bool
        var templateFields: TemplateFields { ["value": .text(value), "label": .text(label), "selected": .flag(selected)] }
    }

    var form: Form
    var error: String?
    /// The balance, formatted.
    var balance: String
    var models: [ModelOption]
    var sizes: [Option]
    var counts: [Option]
    var previewMode: Bool
    /// The balance in credits, for the script that keeps the total up to date.
    var credits: Int
    /// What the request as the form stands costs: the chosen model's price × the count.
    var total: Int
    /// The chosen model's price and the count, for "3 images × 2 credits".
    var price: Int
    var count: Int

    /// The balance does not cover the request.
    var lowBalance: Bool { total > credits }

    /// One image of the last request, shown in place with what can be done next.
    struct Result: TemplateModel {
        let generation: Generation
        let links: PageMediaLinks

        var templateFields: TemplateFields {
            let generation = generation
            var fields: TemplateFields = [
                "id": .text(generation.idString), "status": .text(generation.status.rawValue),
                "status_label": .text(generation.status.label), "prompt": .text(generation.prompt),
                "is_pending": .flag(!generation.isFinished), "is_failed": .flag(generation.status == .failed),
                "is_succeeded": .flag(generation.status == .succeeded),
                // Vary: the same settings, one image, a new seed.
                "model": .text(generation.model), "size": .text("\(generation.width)x\(generation.height)"),
                "public": .flag(generation.isPublic),
            ]
            if !generation.negativePrompt.isEmpty { fields.add("negative_prompt", .text(generation.negativePrompt)) }
            fields.add("error", generation.error)
            fields.add("thumb_url", generation.pageURL(.thumbnailLarge, links: links))
            fields.add("image_url", generation.pageURL(.image, links: links))
            if generation.imageKey != nil { fields.add("download_name", .text(generation.downloadName)) }
            return fields
        }
    }

    /// A prompt used lately, one click from the form again.
    struct Recent: TemplateModel {
        let id: String
        let prompt: String
        var templateFields: TemplateFields { ["id": .text(id), "prompt": .text(prompt)] }
    }

    var results: [Result] = []
    var recent: [Recent] = []
    var templateFields: TemplateFields {
        var fields: TemplateFields = ["balance": .text(balance), "preview_mode": .flag(previewMode), "low_balance": .flag(lowBalance),
                                      "credits": .number(credits), "total": .text(Format.number(total)), "price": .number(price),
                                      "count": .number(count), "total_is_one": .flag(total == 1), "count_is_one": .flag(count == 1),
                                      "price_is_one": .flag(price == 1), "prompt_length": .number(form.prompt.count),
                                      "prompt_limit": .number(GenerationInput.maxPromptLength)]
        fields.add("results", results)
        fields.add("has_results", !results.isEmpty)
        fields.add("results_count", results.count)
        fields.add("results_count_is_one", results.count == 1)
        fields.add("recent", recent)
        fields.add("has_recent", !recent.isEmpty)
        // Without JavaScript the page reloads itself while an image is on its way.
        if results.contains(where: { !$0.generation.isFinished }) { fields.add("refresh_seconds", .number(2)) }
        fields.add("form", form)
        fields.add("error", error)
        fields.add("models", models)
        fields.add("sizes", sizes)
        fields.add("counts", counts)
        return fields
    }
}

/// `/generations/{id}`: one image with its settings; refreshes itself until it is done.
struct GenerationPage: PageModel {
    static let template = "generation"
    let title: String
    let generation: Generation
    let isOwner: Bool
    let siteName: String
    let publicURL: String
    let links: PageMediaLinks
    /// Every image of the request this one belongs to (the viewer may see), this one included.
    var batch: [Generation] = []

    var shareURL: String { publicURL + "/generations/" + generation.idString }

    /// Open Graph tags, so a shared public image shows a preview.
    struct OpenGraph: TemplateModel {
        let title: String
        let description: String
        let image: String
        let url: String
        var templateFields: TemplateFields {
            ["title": .text(title), "description": .text(description), "image": .text(image), "url": .text(url)]
        }
    }

    var openGraph: OpenGraph? {
        guard generation.isPublic, let thumbnail = generation.pageURL(.thumbnailLarge, links: links) else { return nil }
        return OpenGraph(title: String(generation.prompt.prefix(100)), description: "Made with \(generation.model) on \(siteName).",
                         image: thumbnail.hasPrefix("/") ? publicURL + thumbnail : thumbnail, url: shareURL)
    }

    /// "Image 2 of 4", and a link to each of the request's images with its status.
    var batchFields: TemplateFields {
        let index = (batch.firstIndex { $0.id == generation.id } ?? 0) + 1
        let items: [TemplateValue] = batch.enumerated().map { offset, item in
            var fields: TemplateFields = [
                "id": .text(item.idString), "index": .number(offset + 1), "status": .text(item.status.rawValue),
                "status_label": .text(item.status.label), "is_current": .flag(item.id == generation.id),
            ]
            fields.add("thumb_url", item.pageURL(.thumbnail, links: links))
            return .fields(fields)
        }
        return ["index": .number(index), "count": .number(batch.count), "items": .list(items)]
    }

    var details: TemplateFields {
        let generation = generation, id = generation.idString
        var fields: TemplateFields = [
            "id": .text(id), "status": .text(generation.status.rawValue), "status_label": .text(generation.status.label),
            "prompt": .text(generation.prompt),
            "model": .text(generation.model), "width": .number(generation.width), "height": .number(generation.height),
            "pixel_width": .number(generation.imageWidth ?? generation.width),
            "pixel_height": .number(generation.imageHeight ?? generation.height),
            "is_upscaled": .flag((generation.imageWidth ?? generation.width) > generation.width),
            "seed": .text(String(generation.seed)), "credit_cost": .number(generation.creditCost),
            "created": .text(Format.minute(generation.createdAt)), "remix_url": .text("/generate?remix=" + id),
            "api_url": .text("/api/v1/generations/" + id), "is_preview": .flag(generation.provider == "builtin"),
            "is_pending": .flag(!generation.isFinished), "is_succeeded": .flag(generation.status == .succeeded),
            "is_failed": .flag(generation.status == .failed), "is_owner": .flag(isOwner),
            "favorite": .flag(generation.favorite), "public": .flag(generation.isPublic),
        ]
        if !generation.negativePrompt.isEmpty { fields.add("negative_prompt", .text(generation.negativePrompt)) }
        fields.add("completed", generation.completedAt.map(Format.minute))
        fields.add("error", generation.error)
        if let imageURL = generation.pageURL(.image, links: links) {
            fields.add("image_url", .text(imageURL))
            fields.add("download_name", .text(generation.downloadName))
        }
        fields.add("thumbnail_url", generation.pageURL(.thumbnail, links: links))
        fields.add("thumbnail_large_url", generation.pageURL(.thumbnailLarge, links: links))
        if generation.isPublic { fields.add("share_url", .text(shareURL)) }
        return fields
    }

    var templateFields: TemplateFields {
        var fields: TemplateFields = ["generation": .fields(details)]
        if batch.count > 1 { fields.add("batch", .fields(batchFields)) }
        fields.add("og", openGraph)
        if !generation.isFinished { fields.add("refresh_seconds", .number(2)) }
        return fields
    }
}
