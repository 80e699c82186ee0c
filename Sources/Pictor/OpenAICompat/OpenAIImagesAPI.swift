// POST /v1/images/generations and GET /v1/models: OpenAI's images API in front of the native
// generation path (the same validation, charge, rate limit, and refunds by the worker), so the
// official OpenAI SDKs work against Pictor with only their base URL and key changed.

import Codecs
import Foundation

enum OpenAIImagesAPI {
    /// Time beyond the provider's limit (`generation.job_timeout`) that a request waits for its
    /// images: a job may queue behind others, and storing takes a moment.
    static let waitMargin = 15
    /// The longest wait whatever the config says: nginx gives /v1/ 300 s (nginx/site.conf.in)
    /// before it would cut the request off without an answer.
    static let maxWait = 290

    /// Creates the images as `POST /api/v1/generations` would, then waits for all of them and
    /// answers 200 with each as an absolute URL or base64 bytes. A request that finds no free
    /// wait slot is refused with 429 before anything is charged.
    @Sendable static func generate(_ context: inout RequestContext) throws -> Reply {
        let user = try context.apiUser()
        let body = try context.request.json(OpenAIImageRequest.self)
        let format = try ResponseFormat(body.response_format)
        let raw = try nativeRequest(body, models: context.app.config.models)
        let idempotencyKey = try APIRequest.idempotencyKey(context.request)
        let app = context.app, db = try context.db(), requestID = context.requestID
        let seconds = min(app.config.generation.jobTimeout + waitMargin, maxWait)
        let waited = try app.waitSlots.withSlot { () throws -> [Generation] in
            let started = try GenerationStore(db: db).start(raw, userID: user.id, config: app.config, moderator: app.moderator,
                                                                          idempotencyKey: idempotencyKey, requestID: requestID)
            return try GenerationAPI.waitForResults(started, seconds: seconds, userID: user.id, db: db)
        }
        guard let generations = waited else {
            throw HTTPError(429, code: "rate_limited", message: "The server is busy waiting for other images. Try again in a few seconds.",
                            headers: ["Retry-After": "5"])
        }
        guard generations.allSatisfy(\.isFinished) else {
            // The SDKs retry a 5xx unless told not to; a retry would pay for the same images again.
            throw HTTPError(504, code: "timeout",
                            message: "The images were not ready within \(seconds) seconds. They are still being made and will "
                                + "appear in your gallery when done.",
                            headers: ["x-should-retry": "false"])
        }
        let made = generations.filter { $0.status == .succeeded }
        guard !made.isEmpty else {
            // The worker refunded every one; a retry by the SDK costs nothing more.
            throw HTTPError(500, code: "generation_failed",
                            message: generations.compactMap(\.error).first ?? "The images could not be made. Your credits were refunded.")
        }
        var base = app.config.site.publicURL
        while base.hasSuffix("/") { base.removeLast() }
        let images = try made.map { generation in
            try image(generation, format: format, media: app.media, base: base)
        }
        return .json(OpenAIImagesResponse(created: Int(Date().timeIntervalSince1970), data: images))
    }

    /// The configured models, in OpenAI's list shape. A key is required, as on OpenAI.
    @Sendable static func models(_ context: inout RequestContext) throws -> Reply {
        _ = try context.apiUser()
        return .json(OpenAIModelList(data: context.app.config.models.map(OpenAIModelList.Model.init)))
    }

    /// What `response_format` asks for: `url` (the default) or `b64_json`.
    enum ResponseFormat {
        case url, b64JSON

        init(_ text: String?) throws {
            switch text {
            case nil, "url": self = .url
            case "b64_json": self = .b64JSON
            default: throw HTTPError.badRequest("`response_format` must be url or b64_json.", field: "response_format")
            }
        }
    }

    /// The native request for an OpenAI one. Only what is OpenAI's own wire format is checked
    /// here (`n`'s name, `size` as text); every rule of the contract is GenerationInput's.
    static func nativeRequest(_ body: OpenAIImageRequest, models: [ImageModel]) throws -> GenerationInput.Raw {
        var raw = GenerationInput.Raw()
        raw.prompt = body.prompt
        raw.model = body.model
        raw.public = false
        if let n = body.n {
            guard (1...GenerationInput.maxCount).contains(n) else {
                throw HTTPError.badRequest("`n` must be between 1 and \(GenerationInput.maxCount).", field: "n")
            }
            raw.count = n
        }
        if let size = body.size, size != "auto" {
            let parts = size.split(separator: "x", omittingEmptySubsequences: false)
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else {
                throw HTTPError.badRequest("`size` must look like 1024x1024.", field: "size")
            }
            raw.width = width
            raw.height = height
        } else if let model = models.first(where: { $0.name == body.model ?? models.first?.name }),
                  !model.sizes.contains(.square), let size = model.sizes.first {
            // Left to the server: the usual 1024x1024 where the model makes it, else its first size.
            raw.width = size.width
            raw.height = size.height
        }
        return raw
    }

    private static func image(_ generation: Generation, format: ResponseFormat, media: any MediaStorage,
                              base: String) throws -> OpenAIImagesResponse.Image {
        guard let key = generation.imageKey, let link = generation.url(.image, in: media) else {
            throw MediaError("generation \(generation.idString) succeeded without an image")
        }
        switch format {
        case .url:
            // Public images are served by nginx (or the bucket's CDN, already absolute); private
            // ones by Pictor to the same key.
            return OpenAIImagesResponse.Image(url: link.hasPrefix("/") ? base + link : link)
        case .b64JSON:
            // The row's side first, then the other: a publish may have moved the file since.
            guard let bytes = try media.read(key, isPublic: generation.isPublic) ?? media.read(key, isPublic: !generation.isPublic) else {
                throw MediaError("the image of generation \(generation.idString) is missing (\(key))")
            }
            return OpenAIImagesResponse.Image(b64JSON: Base64.encode(bytes))
        }
    }
}
