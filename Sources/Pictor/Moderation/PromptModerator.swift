// The content check every prompt passes before anything is charged or sent to a provider: the
// blocklist, then (if switched on) an OpenAI-compatible `/v1/moderations` endpoint.

import Foundation
import HTTPClient
import Logging

/// `[moderation]` in the config file.
public struct ModerationSettings: Sendable {
    /// The blocklist file, one word or phrase a line; empty: no list.
    public var blocklist = "data/moderation-blocklist.txt"
    /// Also ask an external moderation endpoint about each prompt.
    public var external = false
    /// Its base URL (`/v1/moderations` is added).
    public var url = "https://api.openai.com"
    /// Its Bearer key, normally from `PICTOR_MODERATION_KEY`.
    public var key: String?
    public var model = "omni-moderation-latest"
    /// Seconds the external check may take.
    public var timeout = 10.0
    /// When the external check fails or times out: let the prompt through (open) or refuse it (closed).
    public var failOpen = true

    public init() {}

    static let keys = ["moderation.blocklist", "moderation.external", "moderation.url", "moderation.key", "moderation.model",
                       "moderation.timeout", "moderation.on_failure"]
}

struct PromptModerator: Sendable {
    let blocklist: Blocklist
    let settings: ModerationSettings
    let logger: Logger

    init(settings: ModerationSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        blocklist = settings.blocklist.isEmpty ? Blocklist(text: "") : try Blocklist(contentsOfFile: settings.blocklist)
    }

    static let rejection = HTTPError(422, code: "content_rejected",
                                     message: "This prompt was refused by the content rules of this service. Nothing was charged.",
                                     field: "prompt")

    /// Throws 422 `content_rejected` for a refused prompt, or 503 when the external check is down
    /// and set to fail closed. The log names the user and the rule, not the prompt.
    func check(_ prompt: String, userID: Int64) throws {
        if let entry = blocklist.match(prompt) {
            logger.notice("prompt of user \(userID) refused: blocklist entry \"\(entry.text)\"")
            throw Self.rejection
        }
        guard settings.external else { return }
        let categories: [String]
        do {
            categories = try flaggedCategories(prompt)
        } catch {
            logger.error("moderation service failed for user \(userID)'s prompt (\(settings.failOpen ? "let through" : "refused")): \(error)")
            guard settings.failOpen else {
                throw HTTPError(503, code: "moderation_unavailable",
                                message: "The content check is unavailable right now, so nothing was made or charged. Try again in a moment.",
                                headers: ["Retry-After": "30"])
            }
            return
        }
        guard categories.isEmpty else {
            logger.notice("prompt of user \(userID) refused: external:\(categories.joined(separator: ","))")
            throw Self.rejection
        }
    }

    private struct Answer: Decodable {
        struct Result: Decodable {
            let flagged: Bool
            let categories: [String: Bool]?
        }
        let results: [Result]
    }

    /// The categories the endpoint flagged (["external"] if it flagged without naming any), or
    /// none; throws when it cannot say.
    private func flaggedCategories(_ prompt: String) throws -> [String] {
        struct Request: Encodable { let model: String; let input: String }
        var headers = [("User-Agent", "Pictor/1.0")]
        if let key = settings.key { headers.append(("Authorization", "Bearer " + key)) }
        let body = try JSONEncoder().encode(Request(model: settings.model, input: prompt))
        let response = try HTTPClient(connectTimeout: min(5, settings.timeout), timeout: settings.timeout, maxResponseBytes: 1 << 20)
            .post(settings.url + "/v1/moderations", json: Array(body), headers: headers)
        guard response.status == 200 else { throw ModerationFailure(description: "it answered HTTP \(response.status)") }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)), !answer.results.isEmpty else {
            throw ModerationFailure(description: "its answer has no results")
        }
        let flagged = answer.results.filter(\.flagged)
        guard !flagged.isEmpty else { return [] }
        let names = flagged.flatMap { ($0.categories ?? [:]).filter(\.value).keys }.sorted()
        return names.isEmpty ? ["flagged"] : Array(Set(names)).sorted()
    }

    struct ModerationFailure: Error, CustomStringConvertible {
        let description: String
    }
}
