// A local stand-in for an AUTOMATIC1111 server (`POST /sdapi/v1/txt2img`, and
// `POST /sdapi/v1/extra-single-image` to upscale), speaking its real JSON wire format. What it
// does depends on a tag in the prompt, so one fake serves all tests: "[fail]" → HTTP 500,
// "[hang]" → answers only after 30 s, "[garbage]" → base64 of bytes that are no image,
// "[badbase64]" → base64 that does not decode, "[busyforever]" → 429 with Retry-After: 1,
// "[slow]" → a real image after 3 s; anything else → a real PNG at once.

import Foundation
import Imaging

public final class FakeA1111 {
    public let server: TestHTTPServer
    public var url: String { "http://127.0.0.1:\(server.port)" }

    public init() {
        Imaging.setUp()
        server = TestHTTPServer { request in
            if request.method == "POST", request.target == "/sdapi/v1/extra-single-image" {
                guard let body = FakeImages.body(request), let image = (body["image"] as? String).flatMap({ Data(base64Encoded: $0) }),
                      (body["upscaling_resize"] as? Int) == 2, let upscaled = try? Thumbnailer.upscale2x(Array(image)) else {
                    return ScriptedResponse(status: 422, reason: "Unprocessable Entity", body: Array(#"{"detail":"bad request"}"#.utf8))
                }
                return FakeImages.json(["image": Data(upscaled.bytes).base64EncodedString(), "html_info": ""])
            }
            guard request.method == "POST", request.target == "/sdapi/v1/txt2img",
                  let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
                  let prompt = body["prompt"] as? String else {
                return ScriptedResponse(status: 422, reason: "Unprocessable Entity", body: Array(#"{"detail":"bad request"}"#.utf8))
            }
            if prompt.contains("[fail]") {
                return ScriptedResponse(status: 500, reason: "Internal Server Error", body: Array(#"{"error":"CUDA out of memory"}"#.utf8))
            }
            if prompt.contains("[hang]") { sleep(30) }
            if prompt.contains("[slow]") { sleep(3) }
            if prompt.contains("[busyforever]") {
                return FakeImages.json(["detail": "busy"], status: 429, headers: [("Retry-After", "1")])
            }
            let image = FakeImages.base64(prompt: prompt, width: body["width"] as? Int ?? 512, height: body["height"] as? Int ?? 512,
                                          seed: body["seed"] as? Int ?? 0)
            let reply: [String: Any] = ["images": [image], "parameters": body, "info": "{}"]
            return ScriptedResponse(headers: [("Content-Type", "application/json")],
                                    body: Array(try! JSONSerialization.data(withJSONObject: reply)))
        }
    }

    public func stop() { server.stop() }
}
