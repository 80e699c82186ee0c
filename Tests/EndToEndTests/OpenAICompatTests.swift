// The OpenAI-compatible API through nginx, called with exactly what the official OpenAI Python
// SDK (v1.x) sends: its method, path, headers and JSON body, for both response formats and
// every error it documents, with the ledger checked after each.

import Foundation
import HTTPClient
import Imaging
import Postgres
import TestSupport
import XCTest

/// What `OpenAI(base_url=…, api_key=…).images.generate(…)` and `.models.list()` put on the wire.
///
/// `@unchecked`: a test hands another thread an instance of its own, which only sends requests.
struct OpenAISDKClient: @unchecked Sendable {
    let baseURL: String
    let key: String?
    let client = HTTPClient(connectTimeout: 2, timeout: 90)

    /// The SDK's headers: its key as Bearer, JSON both ways, its user agent and the
    /// `X-Stainless-*` platform headers its base client adds to every request.
    var headers: [(String, String)] {
        var headers: [(String, String)] = [
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("User-Agent", "OpenAI/Python 1.54.4"),
            ("X-Stainless-Lang", "python"),
            ("X-Stainless-Package-Version", "1.54.4"),
            ("X-Stainless-OS", "Linux"),
            ("X-Stainless-Arch", "x64"),
            ("X-Stainless-Runtime", "CPython"),
            ("X-Stainless-Runtime-Version", "3.12.3"),
            ("X-Stainless-Async", "false"),
            ("x-stainless-retry-count", "0"),
            ("x-stainless-read-timeout", "600"),
        ]
        if let key { headers.insert(("Authorization", "Bearer " + key), at: 0) }
        return headers
    }

    /// `client.images.generate(**fields)`: the SDK sends only the arguments given, as compact JSON.
    func generate(_ fields: [String: Any]) throws -> HTTPResponse {
        let body = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return try client.send(HTTPRequest(method: "POST", url: baseURL + "/v1/images/generations", headers: headers,
                                           body: Array(body)))
    }

    /// `client.models.list()`: a GET with the same headers (Content-Type included, as the SDK does).
    func listModels() throws -> HTTPResponse {
        try client.send(HTTPRequest(method: "GET", url: baseURL + "/v1/models", headers: headers))
    }
}

final class OpenAICompatTests: XCTestCase {
    nonisolated(unsafe) static var fake: FakeA1111!
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() {
        fake = FakeA1111()
        stack = try! PictorStack(settings: PictorStack.builtinModels.merging([
            "provider.a1111.url": fake.url, "model.gpu.provider": "a1111", "model.gpu.cost": "2",
            "model.gpu.sizes": "512x512", "generation.job_timeout": "5",
            // Per user: only the rate-limit test makes more than three generation requests.
            "generation.requests_per_minute": "3",
        ]) { $1 }, jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop()
        fake.stop()
    }

    private func sdk(_ user: APIUser) -> OpenAISDKClient { OpenAISDKClient(baseURL: stack.baseURL, key: user.key) }

    func testB64JSONAnswersPNGsOfTheRequestedSizeChargedOnceEach() throws {
        let user = try APIUser.create(on: stack)
        let response = try sdk(user).generate([
            "prompt": "a lighthouse at dusk", "model": "flux-schnell", "n": 2, "response_format": "b64_json", "size": "1024x768",
        ])
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(response.header("content-type"), "application/json")
        let answer = try user.object(response)
        let created = try XCTUnwrap(answer["created"] as? Int)
        XCTAssertLessThan(abs(created - Int(Date().timeIntervalSince1970)), 120, "unix seconds")
        let data = try XCTUnwrap(answer["data"] as? [[String: Any]])
        XCTAssertEqual(data.count, 2)
        for item in data {
            XCTAssertNil(item["url"], "only what response_format asked for")
            let bytes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(item["b64_json"] as? String)))
            let info = try Thumbnailer.inspect(Array(bytes))
            XCTAssertEqual(info.format.uppercased(), "PNG")
            XCTAssertEqual([info.width, info.height], [1024, 768])
        }

        XCTAssertEqual(try user.object(user.get("/api/v1/me"))["credits"] as? Int, 48, "n=2 at 1 credit each")
        let ledger = try XCTUnwrap(try user.object(user.get("/api/v1/transactions"))["data"] as? [[String: Any]])
        XCTAssertEqual(ledger.filter { $0["kind"] as? String == "usage" }.compactMap { $0["amount"] as? Int }, [-1, -1])
        let books = try user.books()
        XCTAssertEqual(books.usages, 2)
        XCTAssertEqual(books.refunds, 0)
        XCTAssertEqual(books.balance, books.ledger)
        let made = try XCTUnwrap(try user.object(user.get("/api/v1/generations"))["data"] as? [[String: Any]])
        XCTAssertEqual(made.map { $0["status"] as? String }, ["succeeded", "succeeded"], "the same generations as the native API")
    }

    func testURLFormatGivesAbsoluteURLsThatServeTheImageToTheSameKey() throws {
        let user = try APIUser.create(on: stack)
        // Fields OpenAI's SDK passes along for its own models are accepted and ignored.
        let response = try sdk(user).generate([
            "prompt": "a red kite over dunes", "model": "sdxl", "size": "512x512", "quality": "hd", "style": "vivid",
            "user": "user-1234", "background": "auto", "moderation": "low", "output_format": "png",
        ])
        XCTAssertEqual(response.status, 200, response.text)
        let data = try XCTUnwrap(try user.object(response)["data"] as? [[String: Any]])
        XCTAssertEqual(data.count, 1, "n defaults to 1")
        XCTAssertNil(data[0]["b64_json"], "url is the default format")
        let url = try XCTUnwrap(data[0]["url"] as? String)
        let generation = try XCTUnwrap(try user.object(user.get("/api/v1/generations"))["data"] as? [[String: Any]]).first
        XCTAssertEqual(url, stack.baseURL + (generation?["image_url"] as? String ?? "?"), "site.public_url + the native image URL")

        let image = try HTTPClient().get(url, headers: [user.auth])
        XCTAssertEqual(image.status, 200)
        let info = try Thumbnailer.inspect(image.body)
        XCTAssertEqual(info.format.uppercased(), "PNG")
        XCTAssertEqual([info.width, info.height], [512, 512])
        let stored = try XCTUnwrap(FileManager.default.contents(atPath: try storedPath(generationID: generation?["id"] as? String)))
        XCTAssertEqual(image.body, Array(stored), "the bytes stored for the generation")
        XCTAssertEqual(try HTTPClient().get(url).status, 404, "a private image needs the key")
        XCTAssertEqual(try user.books().balance, 48, "sdxl costs 2")
    }

    func testMissingBadOrCookieOnlyCredentialsAre401InOpenAIShape() throws {
        let user = try APIUser.create(on: stack)
        let cases: [(String, OpenAISDKClient)] = [
            ("no key", OpenAISDKClient(baseURL: stack.baseURL, key: nil)),
            ("unknown key", OpenAISDKClient(baseURL: stack.baseURL, key: "pk_" + String(repeating: "0", count: 40))),
            ("empty key", OpenAISDKClient(baseURL: stack.baseURL, key: "")),
        ]
        for (name, client) in cases {
            for response in [try client.generate(["prompt": "a cat"]), try client.listModels()] {
                XCTAssertEqual(response.status, 401, "\(name): \(response.text)")
                XCTAssertEqual(response.header("www-authenticate"), "Bearer")
                try assertOpenAIError(response, type: "invalid_request_error", code: "invalid_api_key", param: nil, name)
            }
        }

        // A signed-in browser's cookie is no key here, and no CSRF token is asked for instead.
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.signUp(email: uniqueEmail("openai")).status, 303)
        let cookieOnly = try browser.send(HTTPRequest(method: "POST", url: stack.baseURL + "/v1/images/generations",
                                                      headers: [("Content-Type", "application/json")],
                                                      body: Array(#"{"prompt": "a cat"}"#.utf8)))
        XCTAssertEqual(cookieOnly.status, 401, cookieOnly.text)
        try assertOpenAIError(cookieOnly, type: "invalid_request_error", code: "invalid_api_key", param: nil, "cookie only")
        XCTAssertEqual(try user.books().usages, 0)
    }

    func testInvalidRequestsAre400NamingTheParamAndChargeNothing() throws {
        let user = try APIUser.create(on: stack)
        let cases: [([String: Any], String, String)] = [
            (["prompt": "a cat", "size": "1000x1000"], "size", "invalid_value"),
            (["prompt": "a cat", "model": "gpu", "size": "1024x1024"], "size", "invalid_value"),
            (["prompt": "a cat", "size": "large"], "size", "invalid_value"),
            (["prompt": "a cat", "n": 5], "n", "invalid_value"),
            (["prompt": "a cat", "n": 0], "n", "invalid_value"),
            (["prompt": ""], "prompt", "invalid_value"),
            (["prompt": "   "], "prompt", "invalid_value"),
            (["model": "flux-schnell"], "prompt", "invalid_value"),
            (["prompt": "a cat", "model": "dall-e-3"], "model", "model_not_found"),
            (["prompt": "a cat", "response_format": "png"], "response_format", "invalid_value"),
        ]
        for (body, param, code) in cases {
            let response = try sdk(user).generate(body)
            XCTAssertEqual(response.status, 400, "\(body): \(response.text)")
            try assertOpenAIError(response, type: "invalid_request_error", code: code, param: param, "\(body)")
        }
        let unreadable = try sdk(user).client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/v1/images/generations",
                                                               headers: sdk(user).headers, body: Array(#"{"prompt": "#.utf8)))
        XCTAssertEqual(unreadable.status, 400)
        try assertOpenAIError(unreadable, type: "invalid_request_error", code: "invalid_request", param: nil, "malformed JSON")
        let books = try user.books()
        XCTAssertEqual(books.balance, 50)
        XCTAssertEqual(books.usages, 0)
    }

    func testShortBalanceIs402AndChargesNothing() throws {
        let user = try APIUser.create(on: stack, credits: 3)
        let response = try sdk(user).generate(["prompt": "two costly images", "model": "sdxl", "n": 2, "size": "512x512"])
        XCTAssertEqual(response.status, 402, response.text)
        try assertOpenAIError(response, type: "insufficient_quota", code: "insufficient_credits", param: nil, "short balance")
        let books = try user.books()
        XCTAssertEqual(books.balance, 3)
        XCTAssertEqual(books.usages, 0)
        XCTAssertEqual((try user.object(user.get("/api/v1/generations"))["data"] as? [Any])?.count, 0, "no generation was queued")
    }

    func testTheRateLimitIs429WithRetryAfterAndChargesNothing() throws {
        let user = try APIUser.create(on: stack)
        for index in 0..<3 {
            let response = try sdk(user).generate(["prompt": "quick \(index)", "size": "512x512"])
            XCTAssertEqual(response.status, 200, response.text)
        }
        let limited = try sdk(user).generate(["prompt": "one too many", "size": "512x512"])
        XCTAssertEqual(limited.status, 429, limited.text)
        XCTAssertNotNil(Int(limited.header("retry-after") ?? ""), "the SDK waits as long as Retry-After says")
        try assertOpenAIError(limited, type: "rate_limit_error", code: "rate_limit_exceeded", param: nil, "rate limit")
        XCTAssertEqual(try user.books().usages, 3, "the refused request charged nothing")
    }

    func testAFailedJobIsAServerErrorWithItsReasonAndTheCreditsRefunded() throws {
        let user = try APIUser.create(on: stack)
        let response = try sdk(user).generate(["prompt": "[fail] a cat", "model": "gpu", "n": 2, "response_format": "b64_json"])
        XCTAssertEqual(response.status, 500, response.text)
        try assertOpenAIError(response, type: "server_error", code: "generation_failed", param: nil, "failed job")
        let failed = try XCTUnwrap(try user.object(user.get("/api/v1/generations"))["data"] as? [[String: Any]])
        XCTAssertEqual(failed.map { $0["status"] as? String }, ["failed", "failed"])
        XCTAssertNotNil(failed[0]["error"] as? String)
        XCTAssertEqual(try errorDetail(response)["message"] as? String, failed[0]["error"] as? String, "the job's public reason")
        let books = try user.books()
        XCTAssertEqual(books.balance, 50, "both refunded")
        XCTAssertEqual(books.ledger, 50)
        XCTAssertEqual(books.usages, 2)
        XCTAssertEqual(books.refunds, 2)
    }

    func testModelsAreListedInOpenAIShape() throws {
        let user = try APIUser.create(on: stack)
        let response = try sdk(user).listModels()
        XCTAssertEqual(response.status, 200, response.text)
        let list = try user.object(response)
        XCTAssertEqual(list["object"] as? String, "list")
        let models = try XCTUnwrap(list["data"] as? [[String: Any]])
        XCTAssertEqual(models.compactMap { $0["id"] as? String }, ["flux-schnell", "sdxl", "flux-schnell-hd", "gpu"])
        for model in models {
            XCTAssertEqual(Set(model.keys), ["id", "object", "created", "owned_by"])
            XCTAssertEqual(model["object"] as? String, "model")
            XCTAssertNotNil(model["created"] as? Int)
        }
        XCTAssertEqual(models.compactMap { $0["owned_by"] as? String }, ["builtin", "builtin", "builtin", "a1111"])
    }

    func testOtherMethodsAndUnknownPathsAnswerInOpenAIShape() throws {
        let user = try APIUser.create(on: stack)
        let client = sdk(user)
        let wrongMethod = try client.client.send(HTTPRequest(method: "GET", url: stack.baseURL + "/v1/images/generations",
                                                             headers: client.headers))
        XCTAssertEqual(wrongMethod.status, 405)
        try assertOpenAIError(wrongMethod, type: "invalid_request_error", code: "method_not_allowed", param: nil, "GET")
        let unknown = try client.client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/v1/chat/completions",
                                                         headers: client.headers, body: Array("{}".utf8)))
        XCTAssertEqual(unknown.status, 404)
        try assertOpenAIError(unknown, type: "not_found_error", code: "not_found", param: nil, "chat completions")
    }

    // MARK: Helpers

    /// Where the generation's image file is stored on the private side.
    private func storedPath(generationID: String?) throws -> String {
        let id = try XCTUnwrap(generationID)
        let row = try Connection(stack.databaseURL).query("SELECT image_key FROM generations WHERE id = $1::uuid", [id])[0]
        return stack.state + "/media/private/" + (try row.get("image_key", as: String.self))
    }

    private func errorDetail(_ response: HTTPResponse) throws -> [String: Any] {
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
        return try XCTUnwrap(body["error"] as? [String: Any], response.text)
    }

    /// OpenAI's error shape: exactly message, type, param and code, param and code null when absent.
    private func assertOpenAIError(_ response: HTTPResponse, type: String, code: String?, param: String?, _ context: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.header("content-type"), "application/json", context, file: file, line: line)
        let error = try errorDetail(response)
        XCTAssertEqual(Set(error.keys), ["message", "type", "param", "code"], context, file: file, line: line)
        XCTAssertFalse((error["message"] as? String ?? "").isEmpty, context, file: file, line: line)
        XCTAssertEqual(error["type"] as? String, type, context, file: file, line: line)
        if let code { XCTAssertEqual(error["code"] as? String, code, context, file: file, line: line) }
        else { XCTAssertTrue(error["code"] is NSNull, context, file: file, line: line) }
        if let param { XCTAssertEqual(error["param"] as? String, param, context, file: file, line: line) }
        else { XCTAssertTrue(error["param"] is NSNull, "param is null: \(context)", file: file, line: line) }
    }
}

/// One worker with two request threads: one may wait for images, and nothing is ever made.
final class OpenAICompatWaitTests: XCTestCase {
    func testNoFreeWaitSlotIs429BeforeChargingAndAWaitThatRunsOutIs504() throws {
        let stack = try PictorStack(settings: ["server.threads": "2", "generation.job_timeout": "1"], workers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let waiting = DispatchGroup()
        nonisolated(unsafe) var first: HTTPResponse?
        let client = OpenAISDKClient(baseURL: stack.baseURL, key: user.key)
        DispatchQueue.global().async(group: waiting) {
            first = try? client.generate(["prompt": "never drawn: no job worker runs"])
        }
        try stack.waitFor("the first request to be waiting") {
            (try? Connection(stack.databaseURL).query("SELECT count(*) AS n FROM generations")[0].get("n", as: Int.self)) == 1
        }
        let busy = try OpenAISDKClient(baseURL: stack.baseURL, key: user.key).generate(["prompt": "finds no free wait slot"])
        XCTAssertEqual(busy.status, 429, busy.text)
        XCTAssertEqual(busy.header("retry-after"), "5")
        let detail = try XCTUnwrap((try user.object(busy))["error"] as? [String: Any])
        XCTAssertEqual(detail["type"] as? String, "rate_limit_error")
        XCTAssertEqual(try user.books().usages, 1, "the refused request charged nothing")

        XCTAssertEqual(waiting.wait(timeout: .now() + 40), .success)
        let timedOut = try XCTUnwrap(first)
        XCTAssertEqual(timedOut.status, 504, timedOut.text)
        XCTAssertEqual(timedOut.header("x-should-retry"), "false", "the SDK must not pay for the same images again")
        let error = try XCTUnwrap((try user.object(timedOut))["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "server_error")
        XCTAssertEqual(error["code"] as? String, "timeout")
        XCTAssertTrue((error["message"] as? String ?? "").contains("gallery"), "says where the images will be")
        XCTAssertEqual(try user.books().usages, 1, "charged once; the image is still queued")
    }
}
