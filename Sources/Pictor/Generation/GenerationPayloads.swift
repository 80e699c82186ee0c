// The JSON the generations API answers with: typed, so renaming a field is a compile error.

/// The API's generation object (RFC 3339 UTC times; null for what is not there yet).
struct GenerationObject: Encodable, Sendable {
    let id: String
    /// Shared by the images one request made (`count` > 1).
    let batchID: String
    let status: String
    let prompt: String
    let negativePrompt: String
    let model: String
    let width: Int
    let height: Int
    let seed: Int64
    let creditCost: Int
    let imageURL: String?
    let thumbnailURL: String?
    let thumbnailLargeURL: String?
    let isPublic: Bool
    let favorite: Bool
    let error: String?
    let createdAt: String
    let completedAt: String?

    init(_ generation: Generation, media: any MediaStorage) {
        id = generation.idString
        batchID = generation.batchID.uuidString.lowercased()
        status = generation.status.rawValue
        prompt = generation.prompt
        negativePrompt = generation.negativePrompt
        model = generation.model
        width = generation.width
        height = generation.height
        seed = generation.seed
        creditCost = generation.creditCost
        imageURL = generation.url(.image, in: media)
        thumbnailURL = generation.url(.thumbnail, in: media)
        thumbnailLargeURL = generation.url(.thumbnailLarge, in: media)
        isPublic = generation.isPublic
        favorite = generation.favorite
        error = generation.error
        createdAt = RFC3339.string(generation.createdAt)
        completedAt = generation.completedAt.map(RFC3339.string)
    }

    enum CodingKeys: String, CodingKey {
        case id, status, prompt, model, width, height, seed, favorite, error
        case batchID = "batch_id", negativePrompt = "negative_prompt", creditCost = "credit_cost", imageURL = "image_url"
        case thumbnailURL = "thumbnail_url", thumbnailLargeURL = "thumbnail_large_url", isPublic = "public"
        case createdAt = "created_at", completedAt = "completed_at"
    }

    /// Written by hand only so that absent values are `null`, as the contract says, rather
    /// than left out (the synthesised form skips nil optionals).
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(batchID, forKey: .batchID)
        try container.encode(status, forKey: .status)
        try container.encode(prompt, forKey: .prompt)
        try container.encode(negativePrompt, forKey: .negativePrompt)
        try container.encode(model, forKey: .model)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(seed, forKey: .seed)
        try container.encode(creditCost, forKey: .creditCost)
        try container.encode(imageURL, forKey: .imageURL)
        try container.encode(thumbnailURL, forKey: .thumbnailURL)
        try container.encode(thumbnailLargeURL, forKey: .thumbnailLargeURL)
        try container.encode(isPublic, forKey: .isPublic)
        try container.encode(favorite, forKey: .favorite)
        try container.encode(error, forKey: .error)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(completedAt, forKey: .completedAt)
    }
}

/// `{"data": [...]}`: several generations made by one request.
struct GenerationBatch: Encodable, Sendable {
    let data: [GenerationObject]
}

/// One page of a list: `{"data": [...], "next_cursor": "…" | null}`.
struct ListPage<Item: Encodable & Sendable>: Encodable, Sendable {
    let data: [Item]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case data
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)   // null on the last page
    }
}

/// A model as `/api/v1/models` lists it.
struct ModelObject: Encodable, Sendable {
    struct Size: Encodable, Sendable {
        let width: Int
        let height: Int
    }

    let name: String
    let label: String
    /// The kind of service (builtin, pixelapi, openai, a1111), not the operator's section name.
    let provider: String
    let creditCost: Int
    let sizes: [Size]
    let upscale: Int
    let defaultSteps: Int
    let offlinePreview: Bool

    init(_ model: ImageModel) {
        name = model.name
        label = model.label
        provider = model.providerKind.rawValue
        creditCost = model.creditCost
        sizes = model.sizes.map { Size(width: $0.width, height: $0.height) }
        upscale = model.upscale ? 2 : 1
        defaultSteps = model.defaultSteps
        offlinePreview = model.isOfflinePreview
    }

    enum CodingKeys: String, CodingKey {
        case name, label, provider
        case creditCost = "credit_cost"
        case sizes, upscale
        case defaultSteps = "default_steps", offlinePreview = "offline_preview"
    }
}

/// `{"data": [...]}` of models.
struct ModelList: Encodable, Sendable {
    let data: [ModelObject]
}

/// A ledger row as `/api/v1/transactions` lists it.
struct TransactionObject: Encodable, Sendable {
    let id: Int64
    let amount: Int
    let kind: String
    let reason: String?
    let createdAt: String

    init(_ entry: LedgerEntry) {
        id = entry.id
        amount = entry.amount
        kind = entry.kind.rawValue
        reason = entry.reason
        createdAt = RFC3339.string(entry.createdAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, amount, kind, reason
        case createdAt = "created_at"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(amount, forKey: .amount)
        try container.encode(kind, forKey: .kind)
        try container.encode(reason, forKey: .reason)   // null when none was given
        try container.encode(createdAt, forKey: .createdAt)
    }
}
