// The `a1111` provider: AUTOMATIC1111 / SD.Next / Forge `POST /sdapi/v1/txt2img` on a self-hosted GPU.

import Codecs
import Foundation
import HTTPClient

struct A1111Provider: ImageProvider {
    let baseURL: String
    let connectTimeout: Double
    let timeout: Double

    /// The txt2img request body (the fields Pictor sets; the server defaults the rest).
    struct Body: Encodable {
        let prompt: String
        let negative_prompt: String
        let width: Int
        let height: Int
        let seed: Int
        let steps: Int
        let batch_size = 1
        let n_iter = 1
    }

    /// The part of the answer Pictor reads: base64 images (or `data:` URLs, some forks).
    struct Answer: Decodable {
        let images: [String]
    }

    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        let json = try JSONEncoder().encode(Body(prompt: request.prompt, negative_prompt: request.negativePrompt,
                                                 width: request.width, height: request.height, seed: Int(request.seed),
                                                 steps: request.steps))
        let response: HTTPResponse
        do {
            response = try HTTPClient(connectTimeout: connectTimeout, timeout: timeout)
                .post(baseURL + "/sdapi/v1/txt2img", json: Array(json), headers: [("Accept", "application/json")])
        } catch let error as HTTPClientError {
            throw error.isTimeout ? ProviderError.timedOut : ProviderError.failed("could not reach it")
        }
        guard response.status == 200 else { throw ProviderError.failed("it answered HTTP \(response.status)") }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)), let first = answer.images.first,
              let bytes = Base64.decode(Self.stripDataURL(first)), !bytes.isEmpty
        else { throw ProviderError.failed("it sent no image") }
        return bytes
    }

    /// Some forks answer `data:image/png;base64,…` instead of bare base64.
    static func stripDataURL(_ text: String) -> String {
        guard text.hasPrefix("data:"), let comma = text.firstIndex(of: ",") else { return text }
        return String(text[text.index(after: comma)...])
    }
}
