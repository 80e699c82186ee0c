// An OpenAI-compatible moderation endpoint: `POST /v1/moderations` → `{"id", "model",
// "results": [{"flagged", "categories", "category_scores"}]}`. A prompt with [flag] is flagged
// as violence, [fail] answers 500, [hang] answers after 5 s; anything else is not flagged.

import Foundation

public final class FakeModeration: Sendable {
    public let server: TestHTTPServer
    public var url: String { "http://127.0.0.1:\(server.port)" }

    public init() {
        server = TestHTTPServer { request in
            guard request.method == "POST", request.target == "/v1/moderations",
                  let input = FakeImages.body(request)?["input"] as? String else {
                return FakeImages.json(["error": ["message": "Unknown request", "type": "invalid_request_error"]], status: 404)
            }
            if input.contains("[fail]") { return FakeImages.json(["error": ["message": "The server had an error", "type": "server_error"]], status: 500) }
            if input.contains("[hang]") { Thread.sleep(forTimeInterval: 5) }
            let flagged = input.contains("[flag]")
            return FakeImages.json(["id": "modr-1", "model": "omni-moderation-latest",
                                    "results": [["flagged": flagged, "categories": ["violence": flagged, "sexual": false],
                                                 "category_scores": ["violence": flagged ? 0.97 : 0.01, "sexual": 0.0]]]])
        }
    }

    public func stop() { server.stop() }
}
