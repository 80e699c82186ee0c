// The `a1111` provider: AUTOMATIC1111 / SD.Next / Forge `POST /sdapi/v1/txt2img` on a self-hosted GPU.

import Codecs
import Foundation
import HTTPClient

struct A1111Provider: ImageProvider {
    let baseURL: String
    let connectTimeout: Double
    let timeout: Double

    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        let body: [String: Any] = [
            "prompt": request.prompt, "negative_prompt": request.negativePrompt, "width": request.width,
            "height": request.height, "seed": Int(request.seed), "steps": request.steps, "batch_size": 1, "n_iter": 1,
        ]
        let json = try JSONSerialization.data(withJSONObject: body)
        let response: HTTPResponse
        do {
            response = try HTTPClient(connectTimeout: connectTimeout, timeout: timeout)
                .post(baseURL + "/sdapi/v1/txt2img", json: Array(json), headers: [("Accept", "application/json")])
        } catch let error as HTTPClientError {
            throw error.isTimeout ? ProviderError.timedOut : ProviderError.failed("could not reach it")
        }
        guard response.status == 200 else { throw ProviderError.failed("it answered HTTP \(response.status)") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let images = object["images"] as? [String], let first = images.first,
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
