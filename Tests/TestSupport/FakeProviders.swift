// Local stand-ins for the hosted image APIs (PixelAPI and the OpenAI Images API), speaking their
// JSON wire formats. Like FakeA1111, what a fake does depends on a tag in the prompt, so one fake
// serves every test:
//   [fail] → HTTP 500 · [hang] → answers after 30 s · [garbage] → bytes that are no image ·
//   [badbase64] → base64 that does not decode · [busy] → 429 with Retry-After: 1 once, then the
//   image · [busyforever] → always 429 · [refused] → the service's content-policy refusal (openai)
//   · [failed] → the job fails after two polls (pixelapi) · [wrongsize] → an image half as wide ·
//   [url] → the image as a link to download (openai) · [huge] → an answer of 3 MB.
// Anything else → a real PNG of the requested size (BuiltinGenerator).

import Foundation
import Imaging
import Synchronization

/// The tags above, and the images the fakes send.
enum FakeImages {
    static func png(prompt: String, width: Int, height: Int, seed: Int = 0) -> [UInt8] {
        let width = prompt.contains("[wrongsize]") ? width / 2 : width
        return (try? BuiltinGenerator.draw(prompt: prompt, seed: UInt32(truncatingIfNeeded: seed), width: width, height: height).bytes) ?? []
    }

    /// The image a tagged prompt asks for, base64-encoded (or deliberately broken).
    static func base64(prompt: String, width: Int, height: Int, seed: Int = 0) -> String {
        if prompt.contains("[badbase64]") { return "this is %%% not base64 ***" }
        if prompt.contains("[garbage]") { return Data("this is not an image at all".utf8).base64EncodedString() }
        if prompt.contains("[huge]") { return Data(repeating: 0x41, count: 3 << 20).base64EncodedString() }
        return Data(png(prompt: prompt, width: width, height: height, seed: seed)).base64EncodedString()
    }

    static func json(_ object: Any, status: Int = 200, headers: [(String, String)] = []) -> ScriptedResponse {
        ScriptedResponse(status: status, reason: status == 200 ? "OK" : "Error",
                         headers: [("Content-Type", "application/json")] + headers,
                         body: Array(try! JSONSerialization.data(withJSONObject: object)))
    }

    static func body(_ request: ReceivedRequest) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
    }
}

/// State a fake's handler (a `@Sendable` closure) shares across connections.
final class Locked<Value: Sendable>: Sendable {
    let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// PixelAPI: `POST /v1/image/generate` → `{"generation_id", "status": "pending"}`;
/// `GET /v1/image/{id}` → pending on the first poll, then completed with `output_url` (served by
/// this fake at `/files/{id}.png`) or failed. Requires `Authorization: Bearer <key>`.
public final class FakePixelAPI: Sendable {
    public let server: TestHTTPServer
    public let key: String
    public var url: String { "http://127.0.0.1:\(server.port)" }
    /// Submitted jobs: id → (prompt, width, height, polls so far).
    private let jobs = Locked<[String: (prompt: String, width: Int, height: Int, polls: Int)]>([:])
    private let busyOnce = Locked<Set<String>>([])

    public init(key: String = "px-test-key") {
        Imaging.setUp()
        self.key = key
        let jobs = self.jobs, busyOnce = self.busyOnce
        server = TestHTTPServer { request in
            let url = "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "")"
            if request.target.hasPrefix("/files/") {
                let id = String(request.target.dropFirst("/files/".count).dropLast(".png".count))
                guard let job = jobs.withLock({ $0[id] }) else { return ScriptedResponse(status: 404, reason: "Not Found") }
                let bytes = job.prompt.contains("[garbage]") ? Array("this is not an image at all".utf8)
                    : FakeImages.png(prompt: job.prompt, width: job.width, height: job.height)
                return ScriptedResponse(headers: [("Content-Type", "image/png")], body: bytes)
            }
            guard request.header("Authorization") == "Bearer \(key)" else {
                return FakeImages.json(["error": "invalid api key"], status: 401)
            }
            if request.method == "POST", request.target == "/v1/image/generate" {
                guard let body = FakeImages.body(request), let prompt = body["prompt"] as? String,
                      let width = body["width"] as? Int, let height = body["height"] as? Int, body["model"] is String else {
                    return FakeImages.json(["error": "prompt, model, width and height are required"], status: 422)
                }
                if prompt.contains("[fail]") { return FakeImages.json(["error": "internal error"], status: 500) }
                if prompt.contains("[hang]") { sleep(30) }
                if prompt.contains("[busyforever]") || (prompt.contains("[busy]") && busyOnce.withLock { $0.insert(prompt).inserted }) {
                    return FakeImages.json(["error": "rate limited"], status: 429, headers: [("Retry-After", "1")])
                }
                let id = "gen_" + UUID().uuidString.prefix(12).lowercased()
                jobs.withLock { $0[id] = (prompt, width, height, 0) }
                return FakeImages.json(["generation_id": id, "status": "pending"])
            }
            if request.method == "GET", request.target.hasPrefix("/v1/image/") {
                let id = String(request.target.dropFirst("/v1/image/".count))
                guard let job = jobs.withLock({ jobs -> (prompt: String, width: Int, height: Int, polls: Int)? in
                    jobs[id]?.polls += 1
                    return jobs[id]
                }) else { return FakeImages.json(["error": "not found"], status: 404) }
                if job.polls < 2 { return FakeImages.json(["id": id, "status": "processing"]) }
                if job.prompt.contains("[failed]") {
                    return FakeImages.json(["id": id, "status": "failed", "error": "The model could not draw this prompt."])
                }
                return FakeImages.json(["id": id, "status": "completed", "output_url": "\(url)/files/\(id).png"])
            }
            return FakeImages.json(["error": "not found"], status: 404)
        }
    }

    /// How many jobs were submitted (a resumed job must not be submitted again).
    public var submissions: Int { server.requests.filter { $0.method == "POST" }.count }

    public func stop() { server.stop() }
}

/// The OpenAI Images API: `POST /v1/images/generations` → `{"created", "data": [{"b64_json"}]}`
/// (or `url` for a `[url]` prompt, served at `/files/…`), OpenAI's error object on failure.
/// `delay` seconds pass before each image (a slow GPU, for benchmarks). A key is required when
/// `key` is set (OpenAI); without one any request is taken (LocalAI).
public final class FakeOpenAIImages: Sendable {
    public let server: TestHTTPServer
    public let key: String?
    public var url: String { "http://127.0.0.1:\(server.port)" }
    private let busyOnce = Locked<Set<String>>([])

    public init(key: String? = "sk-test-key", delay: Double = 0) {
        Imaging.setUp()
        self.key = key
        let busyOnce = self.busyOnce
        server = TestHTTPServer { request in
            if request.target.hasPrefix("/files/"), let size = request.target.split(separator: "/").last?.split(separator: ".").first {
                let parts = size.split(separator: "x").compactMap { Int($0) }
                return ScriptedResponse(headers: [("Content-Type", "image/png")],
                                        body: FakeImages.png(prompt: "link", width: parts[0], height: parts[1]))
            }
            if let key, request.header("Authorization") != "Bearer \(key)" {
                return Self.error("Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key", status: 401)
            }
            guard request.method == "POST", request.target == "/v1/images/generations" else {
                return Self.error("Unknown request URL", type: "invalid_request_error", code: "unknown_url", status: 404)
            }
            guard let body = FakeImages.body(request), let prompt = body["prompt"] as? String,
                  let size = body["size"] as? String, case let parts = size.split(separator: "x").compactMap({ Int($0) }),
                  parts.count == 2 else {
                return Self.error("'prompt' and 'size' are required", type: "invalid_request_error", code: nil, status: 400)
            }
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            if prompt.contains("[fail]") { return Self.error("The server had an error.", type: "server_error", code: nil, status: 500) }
            if prompt.contains("[hang]") { sleep(30) }
            if prompt.contains("[refused]") {
                return Self.error("Your request was rejected as a result of our safety system.", type: "invalid_request_error",
                                  code: "content_policy_violation", status: 400)
            }
            if prompt.contains("[busyforever]") || (prompt.contains("[busy]") && busyOnce.withLock { $0.insert(prompt).inserted }) {
                return FakeImages.json(["error": ["message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"]],
                                       status: 429, headers: [("Retry-After", "1")])
            }
            let image: [String: Any] = prompt.contains("[url]")
                ? ["url": "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "")/files/\(parts[0])x\(parts[1]).png"]
                : ["b64_json": FakeImages.base64(prompt: prompt, width: parts[0], height: parts[1])]
            return FakeImages.json(["created": Int(Date().timeIntervalSince1970), "data": [image]])
        }
    }

    static func error(_ message: String, type: String, code: String?, status: Int) -> ScriptedResponse {
        FakeImages.json(["error": ["message": message, "type": type, "param": NSNull(), "code": code.map { $0 as Any } ?? NSNull()]], status: status)
    }

    public func stop() { server.stop() }
}
