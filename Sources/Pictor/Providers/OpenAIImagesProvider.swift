// The `openai` provider: any OpenAI-compatible Images API (`POST /v1/images/generations`):
// OpenAI itself, LocalAI, stable-diffusion.cpp's server.

import Codecs
import Foundation
import HTTPClient

struct OpenAIImagesProvider: ImageProvider {
    let settings: ProviderSettings

    struct Body: Encodable {
        let model: String
        let prompt: String
        let n = 1
        let size: String
        /// Left out for gpt-image models, which always answer base64 and refuse the field.
        let response_format: String?
    }

    struct Answer: Decodable {
        struct Image: Decodable {
            let b64_json: String?
            let url: String?
        }
        let data: [Image]
    }

    /// `{"error": {"message", "type", "param", "code"}}`.
    struct ErrorAnswer: Decodable {
        struct Detail: Decodable {
            let message: String?
            let type: String?
            let code: String?
        }
        let error: Detail
    }

    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        let call = ProviderCall(settings: settings, deadline: request.deadline, requestID: request.requestID)
        let body = Body(model: request.providerModel, prompt: request.prompt, size: "\(request.width)x\(request.height)",
                        response_format: request.providerModel.hasPrefix("gpt-image") ? nil : "b64_json")
        let response = try call.send(HTTPRequest(method: "POST", url: settings.url + "/v1/images/generations",
                                                 headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                                 body: Array(try JSONEncoder().encode(body))))
        if response.status == 400 { throw Self.refusal(response) }
        guard let image = try call.decode(Answer.self, from: response).data.first else {
            throw ProviderError.failed("it sent no image")
        }
        if let encoded = image.b64_json {
            guard let bytes = Base64.decode(encoded) else { throw ProviderError.notAnImage }
            return bytes
        }
        guard let link = image.url else { throw ProviderError.failed("it sent no image") }
        return try call.download(link)
    }

    /// A 400: the prompt refused by the service's safety system, or a request it does not take.
    static func refusal(_ response: HTTPResponse) -> ProviderError {
        let detail = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body)))?.error
        let code = [detail?.code, detail?.type].compactMap { $0 }.joined(separator: " ")
        if code.contains("content_policy") || code.contains("moderation") || code.contains("safety") {
            return ProviderError(reason: "The image service refused this prompt. Your credits were returned.")
        }
        let reason = ProviderCall.shortReason(detail?.message).map { ": \($0)" } ?? ""
        return ProviderError(reason: "The image service refused the request\(reason). Your credits were returned.")
    }
}
