// What a generation request asks for, checked against the contract before anything is charged.

import Crypto
import Foundation

/// A validated request: every field within its limits, the model known, the size allowed.
struct GenerationInput: Equatable {
    let prompt: String
    let negativePrompt: String
    let model: String
    let width: Int
    let height: Int
    let seed: UInt32
    let count: Int
    let isPublic: Bool
    /// The request as the client sent it (a seed left out stays "random"), so a retry with the
    /// same Idempotency-Key and body matches although each call draws its own random seed.
    let fingerprint: String

    /// What an Idempotency-Key's request is remembered by.
    var requestHash: [UInt8] { Crypto.sha256(fingerprint) }

    static let maxPromptLength = 1000
    static let maxCount = 4

    /// The raw fields, as they came from a form or a JSON body (nil = not given).
    struct Raw: Decodable {
        var prompt: String?
        var negative_prompt: String?
        var model: String?
        var width: Int?
        var height: Int?
        var seed: Int64?
        var count: Int?
        var `public`: Bool?

        init() {}

        enum CodingKeys: String, CodingKey {
            case prompt, negative_prompt, model, width, height, seed, count, `public`
        }

        /// Decoded field by field, so a value of the wrong kind (`"count": 1.5`, a seed past 64
        /// bits, `"public": "yes"`) is refused with the field's name and what it takes.
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
            negative_prompt = try field(.negative_prompt, "text")
            model = try field(.model, "text: a model's name")
            width = try field(.width, "a whole number of pixels")
            height = try field(.height, "a whole number of pixels")
            seed = try field(.seed, "a whole number from 0 to 4294967295")
            count = try field(.count, "a whole number from 1 to \(GenerationInput.maxCount)")
            `public` = try field(.public, "true or false")
        }
    }

    /// Checks every rule of the contract; the first broken one is a 400 with a message that
    /// names the field. Nothing has been charged or stored at this point.
    init(_ raw: Raw, models: [ImageModel]) throws {
        // NFC, so a prompt typed with combining accents is found by a search typed without them.
        let prompt = (raw.prompt ?? "").precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !prompt.isEmpty else { throw HTTPError.badRequest("Write a prompt describing the image.", code: "invalid_prompt", field: "prompt") }
        guard prompt.count <= Self.maxPromptLength else {
            throw HTTPError.badRequest("The prompt is longer than \(Self.maxPromptLength) characters.", code: "invalid_prompt", field: "prompt")
        }
        guard !prompt.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" }) else {
            throw HTTPError.badRequest("The prompt contains control characters.", code: "invalid_prompt", field: "prompt")
        }
        let negative = (raw.negative_prompt ?? "").precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard negative.count <= Self.maxPromptLength else {
            throw HTTPError.badRequest("The negative prompt is longer than \(Self.maxPromptLength) characters.", field: "negative_prompt")
        }
        let name = raw.model ?? models.first?.name ?? ""
        guard let model = models.first(where: { $0.name == name }) else {
            throw HTTPError.badRequest("Unknown model `\(name)`. Known models: \(models.map(\.name).joined(separator: ", ")).",
                                        field: "model")
        }
        let size = ImageSize(raw.width ?? ImageSize.square.width, raw.height ?? ImageSize.square.height)
        guard model.sizes.contains(size) else {
            throw HTTPError.badRequest("\(model.name) cannot make \(size) images. Allowed sizes: \(model.sizes.map(\.description).joined(separator: ", ")).",
                                        field: "size")
        }
        let count = raw.count ?? 1
        guard (1...Self.maxCount).contains(count) else { throw HTTPError.badRequest("`count` must be between 1 and \(Self.maxCount).", field: "count") }
        let seed: UInt32
        if let given = raw.seed {
            guard let value = UInt32(exactly: given) else { throw HTTPError.badRequest("`seed` must be between 0 and 4294967295.", field: "seed") }
            seed = value
        } else {
            seed = Crypto.randomBytes(4).reduce(0) { $0 << 8 | UInt32($1) }
        }
        self.prompt = prompt
        self.negativePrompt = negative
        self.model = model.name
        self.width = size.width
        self.height = size.height
        self.seed = seed
        self.count = count
        self.isPublic = raw.public ?? false
        fingerprint = [prompt, negative, model.name, size.description, raw.seed.map(String.init) ?? "random",
                       String(count), String(isPublic)].joined(separator: "\u{1F}")
    }

    /// From form fields (the /generate page). Numbers that don't parse are 400s, not defaults.
    static func raw(fromForm form: [String: String]) throws -> Raw {
        func number(_ name: String) throws -> Int64? {
            guard let text = form[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int64(text) else { throw HTTPError.badRequest("`\(name)` must be a whole number.") }
            return value
        }
        var raw = Raw()
        raw.prompt = form["prompt"]
        raw.negative_prompt = form["negative_prompt"]
        raw.model = form["model"]
        if let size = form["size"], !size.isEmpty {
            let parts = size.split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else {
                throw HTTPError.badRequest("`size` must look like 1024x1024.")
            }
            raw.width = width
            raw.height = height
        }
        raw.seed = try number("seed")
        raw.count = try number("count").map { Int(clamping: $0) }
        raw.public = form["public"].map { $0 == "on" || $0 == "true" || $0 == "1" }
        return raw
    }
}
