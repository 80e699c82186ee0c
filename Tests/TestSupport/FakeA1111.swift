// A local stand-in for an AUTOMATIC1111 server (`POST /sdapi/v1/txt2img`), speaking its real
// JSON wire format. What it does depends on a tag in the prompt, so one fake serves all tests:
// "[fail]" → HTTP 500, "[hang]" → answers only after 30 s, "[garbage]" → base64 of bytes that
// are no image, "[slow]" → a real image after 3 s; anything else → a real PNG at once.

import Foundation
import Imaging

public final class FakeA1111 {
    public let server: TestHTTPServer
    public var url: String { "http://127.0.0.1:\(server.port)" }

    public init() {
        Imaging.setUp()
        server = TestHTTPServer { request in
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
            let image: [UInt8]
            if prompt.contains("[garbage]") {
                image = Array("this is not an image at all".utf8)
            } else {
                let width = body["width"] as? Int ?? 512, height = body["height"] as? Int ?? 512
                image = (try? BuiltinGenerator.draw(prompt: prompt, seed: UInt32(body["seed"] as? Int ?? 0),
                                                    width: width, height: height).bytes) ?? []
            }
            let reply: [String: Any] = ["images": [Data(image).base64EncodedString()], "parameters": body, "info": "{}"]
            return ScriptedResponse(headers: [("Content-Type", "application/json")],
                                    body: Array(try! JSONSerialization.data(withJSONObject: reply)))
        }
    }

    public func stop() { server.stop() }
}
