// The `a1111` provider: AUTOMATIC1111 / SD.Next / Forge `POST /sdapi/v1/txt2img` on a self-hosted
// GPU, and its `extra-single-image` upscaler for HD models.

import Codecs
import Foundation
import HTTPClient

struct A1111Provider: ImageProvider {
    let settings: ProviderSettings
    /// An upscaler every A1111 install ships (Real-ESRGAN), used at 2x.
    static let upscaler = "R-ESRGAN 4x+"

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

    /// `POST /sdapi/v1/extra-single-image`.
    struct UpscaleBody: Encodable {
        let image: String
        let upscaling_resize: Int
        let upscaler_1: String
    }

    struct UpscaleAnswer: Decodable {
        let image: String
    }

    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        let body = Body(prompt: request.prompt, negative_prompt: request.negativePrompt, width: request.width,
                        height: request.height, seed: Int(request.seed), steps: request.steps)
        let answer = try post("/sdapi/v1/txt2img", body, answer: Answer.self, request: request)
        guard let first = answer.images.first else { throw ProviderError.failed("it sent no image") }
        return try Self.decodeImage(first)
    }

    func upscale2x(_ image: [UInt8], request: ProviderRequest) throws -> [UInt8]? {
        let body = UpscaleBody(image: Base64.encode(image), upscaling_resize: 2, upscaler_1: Self.upscaler)
        let answer = try post("/sdapi/v1/extra-single-image", body, answer: UpscaleAnswer.self, request: request)
        return try Self.decodeImage(answer.image)
    }

    private func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, answer: Answer.Type,
                                                          request: ProviderRequest) throws -> Answer {
        let call = ProviderCall(settings: settings, deadline: request.deadline, requestID: request.requestID)
        let response = try call.send(HTTPRequest(method: "POST", url: settings.url + path,
                                                 headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                                                 body: Array(try JSONEncoder().encode(body))))
        return try call.decode(answer, from: response)
    }

    /// Base64, or a `data:image/png;base64,…` URL (some forks answer that way).
    static func decodeImage(_ text: String) throws -> [UInt8] {
        var encoded = Substring(text)
        if encoded.hasPrefix("data:"), let comma = encoded.firstIndex(of: ",") { encoded = encoded[encoded.index(after: comma)...] }
        guard let bytes = Base64.decode(String(encoded)), !bytes.isEmpty else { throw ProviderError.notAnImage }
        return bytes
    }
}
