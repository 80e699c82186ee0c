// The `pixelapi` provider: PixelAPI's REST API. A job is submitted, then polled until it is
// completed (its image downloaded) or failed.

import Foundation
import HTTPClient

struct PixelAPIProvider: ImageProvider {
    let settings: ProviderSettings

    /// `POST /v1/image/generate`.
    struct Submission: Encodable {
        let model: String
        let prompt: String
        let negative_prompt: String
        let width: Int
        let height: Int
        let seed: UInt32
        let steps: Int
    }

    /// The submit answer and the poll answer share these fields.
    struct JobState: Decodable {
        let generation_id: FlexibleID?
        let id: FlexibleID?
        let status: String?
        let output_url: String?
        let url: String?
        let error: String?
        let message: String?

        var jobID: String? { (generation_id ?? id)?.text }
        var imageURL: String? { output_url ?? url }
    }

    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        let call = ProviderCall(settings: settings, deadline: request.deadline, requestID: request.requestID)
        var state: JobState
        if let resumed = request.resumeJobID {
            state = try poll(resumed, call: call)
        } else {
            state = try submit(request, call: call)
            guard let id = state.jobID else { throw ProviderError.failed("it sent no job id") }
            request.onAccepted?(id)
        }
        guard let id = state.jobID ?? request.resumeJobID else { throw ProviderError.failed("it sent no job id") }
        var interval = settings.pollInterval
        while true {
            switch state.status?.lowercased() {
            case "completed", "succeeded", "success":
                guard let link = state.imageURL else { throw ProviderError.failed("it finished without an image") }
                return try call.download(link)
            case "failed", "error", "cancelled", "canceled":
                let detail = ProviderCall.shortReason(state.error ?? state.message).map { ": \($0)" } ?? ""
                throw ProviderError(reason: "The image service could not make this image\(detail). Your credits were returned.")
            default:
                // Queued or processing: wait, growing the pause, never past the deadline.
                guard Date().addingTimeInterval(interval) < request.deadline else { throw ProviderError.timedOut }
                Thread.sleep(forTimeInterval: interval)
                interval = min(interval * 1.5, 5)
                state = try poll(id, call: call)
            }
        }
    }

    private func submit(_ request: ProviderRequest, call: ProviderCall) throws -> JobState {
        let body = Submission(model: request.providerModel, prompt: request.prompt, negative_prompt: request.negativePrompt,
                              width: request.width, height: request.height, seed: request.seed, steps: request.steps)
        let response = try call.send(HTTPRequest(method: "POST", url: settings.url + "/v1/image/generate",
                                                 headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                                 body: Array(try JSONEncoder().encode(body))))
        return try call.decode(JobState.self, from: response)
    }

    private func poll(_ id: String, call: ProviderCall) throws -> JobState {
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? id
        let response = try call.send(HTTPRequest(url: settings.url + "/v1/image/" + escaped, headers: [("Accept", "application/json")]))
        return try call.decode(JobState.self, from: response)
    }
}

/// A job id sent as a JSON string or number.
struct FlexibleID: Decodable {
    let text: String

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) { text = string } else { text = String(try container.decode(Int64.self)) }
    }
}
