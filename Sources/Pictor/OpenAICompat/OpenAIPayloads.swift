// The JSON of the OpenAI-compatible API, typed: what its clients send, what they get back, and
// OpenAI's error shape, made from the app's one error type.

/// The body of `POST /v1/images/generations` as OpenAI's SDKs send it. Fields those SDKs may add
/// that Pictor has no use for (`quality`, `style`, `user`, `background`, `output_format`,
/// `moderation`…) are ignored rather than refused: a client written for OpenAI sends them.
struct OpenAIImageRequest: Decodable {
    var prompt: String?
    var model: String?
    var n: Int?
    var size: String?
    var response_format: String?

    enum CodingKeys: String, CodingKey { case prompt, model, n, size, response_format }

    /// Field by field, so a wrong kind of value or a control character is refused by name;
    /// fields OpenAI's SDKs send that Pictor does not use are ignored.
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func field<T: Decodable>(_ key: CodingKeys, _ rule: String) throws -> T? {
            let value: T?
            do {
                value = try container.decodeIfPresent(T.self, forKey: key)
            } catch {
                throw HTTPError.badRequest("`\(key.stringValue)` must be \(rule).", field: key.stringValue)
            }
            if let text = value as? String { try JSONText.check(text, field: key.stringValue) }
            return value
        }
        prompt = try field(.prompt, "text")
        model = try field(.model, "text: a model's name")
        n = try field(.n, "a whole number from 1 to \(GenerationInput.maxCount)")
        size = try field(.size, "text such as 1024x1024")
        response_format = try field(.response_format, "url or b64_json")
    }
}

/// `{"created": <unix seconds>, "data": [{"url" | "b64_json", …}]}`.
struct OpenAIImagesResponse: Encodable, Sendable {
    struct Image: Encodable, Sendable {
        /// One of `url` and `b64JSON` is set, as `response_format` asked; the other is left out.
        var url: String?
        var b64JSON: String?

        enum CodingKeys: String, CodingKey {
            case url
            case b64JSON = "b64_json"
        }
    }

    let created: Int
    let data: [Image]
}

/// `GET /v1/models`: `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}`.
struct OpenAIModelList: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        let id: String
        let object = "model"
        /// Pictor does not record when a model was configured; OpenAI's clients only need a number.
        let created = 0
        /// The provider that draws it (`builtin`, `a1111`…).
        let ownedBy: String

        init(_ model: ImageModel) {
            id = model.name
            ownedBy = model.provider
        }

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    let object = "list"
    let data: [Model]
}

/// OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, with `param` and
/// `code` null when they do not apply. Made from an `HTTPError` by ErrorMiddleware for every
/// path under /v1/, so handlers throw the app's errors as everywhere else.
struct OpenAIErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        let message: String
        let type: String
        let param: String?
        let code: String?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)   // null, as OpenAI sends it
            try container.encode(code, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }

    let error: Detail

    init(_ error: HTTPError) {
        let param = error.field.map { Self.fieldNames[$0] ?? $0 }
        self.error = Detail(message: error.message, type: Self.type(status: error.status),
                            param: param, code: Self.code(error, param: param))
    }

    /// The native request's field names, as OpenAI's request calls them.
    static let fieldNames = ["count": "n"]

    /// The status OpenAI answers with: a refused prompt is its 400 `content_policy_violation`
    /// (the SDKs raise BadRequestError), not the native API's 422.
    static func status(_ error: HTTPError) -> Int {
        error.code == "content_rejected" ? 400 : error.status
    }

    /// OpenAI's error classes, by status.
    static func type(status: Int) -> String {
        switch status {
        case 402: return "insufficient_quota"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 429: return "rate_limit_error"
        case 500...: return "server_error"
        default: return "invalid_request_error"   // OpenAI sends 401s as this type too
        }
    }

    /// OpenAI's codes where it has one for the case; else the native code.
    static func code(_ error: HTTPError, param: String?) -> String {
        switch (error.code, param) {
        case ("unauthorized", _): return "invalid_api_key"
        case ("rate_limited", _): return "rate_limit_exceeded"
        case ("content_rejected", _): return "content_policy_violation"
        case (_, "model") where error.status == 400: return "model_not_found"
        case (_, .some) where error.status == 400: return "invalid_value"
        default: return error.code
        }
    }
}
