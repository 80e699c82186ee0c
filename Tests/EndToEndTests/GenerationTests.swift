// Generating through nginx: the API, the queue and workers, credits and refunds, validation.

import Foundation
import Synchronization
import HTTPClient
import Imaging
import Postgres
import TestSupport
import XCTest

/// A user with an API key on a stack, and helpers to call the API as them.
///
/// `@unchecked`: from other threads a test only sends requests, which read the stack's fixed
/// address and nothing that changes.
struct APIUser: @unchecked Sendable {
    let stack: PictorStack
    let email: String
    let key: String
    let client = HTTPClient(connectTimeout: 2, timeout: 90)

    static func create(on stack: PictorStack, credits: Int = 50) throws -> APIUser {
        let email = "gen-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try runCommand(PictorStack.binary, ["admin", "create-user", "--config", stack.configPath, "--email", email],
                           input: "long enough password\n")
        if credits < 50 {
            _ = try runCommand(PictorStack.binary, ["admin", "revoke", "--config", stack.configPath, "--email", email,
                                                    "--amount", "\(50 - credits)", "--reason", "test setup"])
        }
        let key = try runCommand(PictorStack.binary, ["admin", "create-key", "--config", stack.configPath, "--email", email,
                                                      "--name", "tests"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return APIUser(stack: stack, email: email, key: key)
    }

    var auth: (String, String) { ("Authorization", "Bearer " + key) }

    func post(_ body: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/api/v1/generations",
                                    headers: [auth, ("Content-Type", "application/json")] + headers, body: Array(body.utf8)))
    }

    func get(_ path: String) throws -> HTTPResponse { try client.get(stack.baseURL + path, headers: [auth]) }

    func object(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text)
    }

    /// Waits for a generation to finish and returns its final object.
    func finished(_ id: String, seconds: Double = 30) throws -> [String: Any] {
        var last: [String: Any] = [:]
        try stack.waitFor("generation \(id) to finish", seconds: seconds) {
            last = (try? object(get("/api/v1/generations/" + id))) ?? [:]
            return ["succeeded", "failed"].contains(last["status"] as? String ?? "")
        }
        return last
    }

    /// (balance, ledger sum, usage rows, refund rows) straight from the database.
    func books() throws -> (balance: Int, ledger: Int, usages: Int, refunds: Int) {
        let row = try Connection(stack.databaseURL).query("""
            SELECT u.credits,
                   (SELECT coalesce(sum(amount), 0)::int FROM transactions t WHERE t.user_id = u.id) AS ledger,
                   (SELECT count(*)::int FROM transactions t WHERE t.user_id = u.id AND kind = 'usage') AS usages,
                   (SELECT count(*)::int FROM transactions t WHERE t.user_id = u.id AND kind = 'refund') AS refunds
            FROM users u WHERE u.email = $1
            """, [email])[0]
        return (try row.get("credits"), try row.get("ledger"), try row.get("usages"), try row.get("refunds"))
    }
}

final class GenerationTests: XCTestCase {
    nonisolated(unsafe) static var fake: FakeA1111!
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() {
        fake = FakeA1111()
        stack = try! PictorStack(settings: PictorStack.builtinModels.merging([
            "provider.a1111.url": fake.url, "model.gpu.provider": "a1111", "model.gpu.cost": "2",
            "model.gpu.sizes": "512x512", "generation.job_timeout": "3", "generation.lease": "5",
            "generation.requests_per_minute": "1000",
        ]) { $1 }, jobWorkers: 2)
    }

    override class func tearDown() {
        stack.stop()
        fake.stop()
    }

    func testAPIGenerationMakesARealImageAndTwoThumbnails() throws {
        let user = try APIUser.create(on: stack)
        let response = try user.post(#"{"prompt": "a lighthouse at dusk", "model": "flux-schnell", "seed": 7}"#,
                                     headers: [("Prefer", "wait=30")])
        XCTAssertEqual(response.status, 200, response.text)
        let generation = try user.object(response)
        XCTAssertEqual(generation["status"] as? String, "succeeded")
        XCTAssertEqual(generation["seed"] as? Int, 7)
        XCTAssertEqual(generation["credit_cost"] as? Int, 1)

        let client = HTTPClient()
        let id = generation["id"] as! String
        XCTAssertEqual(generation["image_url"] as? String, "/generations/\(id)/image", "a private image is served through Pictor")
        let image = try client.get(stack.baseURL + (generation["image_url"] as! String), headers: [user.auth])
        XCTAssertEqual(image.status, 200)
        XCTAssertEqual(image.header("cache-control"), "private, max-age=31536000, immutable")
        let info = try Thumbnailer.inspect(image.body)
        XCTAssertEqual([info.width, info.height], [1024, 1024])
        XCTAssertEqual(info.format.uppercased(), "PNG")
        for (key, side) in [("thumbnail_url", 256), ("thumbnail_large_url", 512)] {
            let thumbnail = try client.get(stack.baseURL + (generation[key] as! String), headers: [user.auth])
            XCTAssertEqual(thumbnail.status, 200)
            let thumb = try Thumbnailer.inspect(thumbnail.body)
            XCTAssertEqual([thumb.width, thumb.height], [side, side])
            XCTAssertEqual(thumb.format, Imaging.supportsWebP ? "WEBP" : "JPEG", "the bytes are what the name says")
            XCTAssertEqual(thumbnail.header("content-type"), Imaging.supportsWebP ? "image/webp" : "image/jpeg")
        }
        let books = try user.books()
        XCTAssertEqual(books.balance, 49)
        XCTAssertEqual(books.ledger, 49)
        XCTAssertEqual(try user.object(user.get("/api/v1/me"))["credits"] as? Int, 49)
    }

    func testTheRequestIDGoesOnToTheProvider() throws {
        let user = try APIUser.create(on: stack)
        let prompt = "a request id \(UUID().uuidString)"
        let response = try user.post(#"{"prompt": "\#(prompt)", "model": "gpu", "width": 512, "height": 512}"#)
        XCTAssertEqual(response.status, 202, response.text)
        let requestID = try XCTUnwrap(response.header("x-request-id"))
        XCTAssertEqual(try user.finished(try XCTUnwrap(try user.object(response)["id"] as? String))["status"] as? String, "succeeded")
        let call = try XCTUnwrap(Self.fake.server.requests.last { String(decoding: $0.body, as: UTF8.self).contains(prompt) })
        XCTAssertEqual(call.header("x-request-id"), requestID, "one id from nginx's log to the provider's")
    }

    func testCountMakesSeveralImagesEachCharged() throws {
        let user = try APIUser.create(on: stack)
        let response = try user.post(#"{"prompt": "three moons", "model": "sdxl", "count": 3, "width": 512, "height": 512}"#)
        XCTAssertEqual(response.status, 202)
        let items = try XCTUnwrap(try user.object(response)["data"] as? [[String: Any]])
        XCTAssertEqual(items.count, 3)
        for item in items { XCTAssertEqual(try user.finished(item["id"] as! String)["status"] as? String, "succeeded") }
        XCTAssertEqual(try user.books().balance, 44)
        XCTAssertEqual(try user.books().usages, 3)
    }

    func testEveryValidationRuleAnswers400AndChangesNothing() throws {
        let user = try APIUser.create(on: stack)
        let cases: [(String, String, String)] = [
            (#"{"prompt": ""}"#, "invalid_prompt", "empty prompt"),
            (#"{"prompt": "   \n "}"#, "invalid_prompt", "blank prompt"),
            ("{\"prompt\": \"\(String(repeating: "a", count: 1001))\"}", "invalid_prompt", "1001 characters"),
            (#"{"prompt": "x", "negative_prompt": "\#(String(repeating: "n", count: 1001))"}"#, "invalid_request", "long negative"),
            (#"{"prompt": "x", "model": "dall-e-9"}"#, "invalid_request", "unknown model"),
            (#"{"prompt": "x", "width": 1000, "height": 1000}"#, "invalid_request", "size not allowed"),
            (#"{"prompt": "x", "model": "gpu", "width": 1024, "height": 1024}"#, "invalid_request", "size not allowed for model"),
            (#"{"prompt": "x", "count": 0}"#, "invalid_request", "count 0"),
            (#"{"prompt": "x", "count": 5}"#, "invalid_request", "count 5"),
            (#"{"prompt": "x", "seed": -1}"#, "invalid_request", "negative seed"),
            (#"{"prompt": "x", "seed": 4294967296}"#, "invalid_request", "seed too large"),
            (#"{"prompt": "x", "count": "two"}"#, "invalid_request", "wrong type"),
            (#"{"prompt": "x""#, "invalid_request", "malformed JSON"),
            (#"["prompt"]"#, "invalid_request", "not an object"),
        ]
        for (body, code, label) in cases {
            let response = try user.post(body)
            XCTAssertEqual(response.status, 400, label)
            XCTAssertEqual((try user.object(response)["error"] as? [String: String])?["code"], code, label)
        }
        let invalidUTF8 = try user.client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/api/v1/generations",
            headers: [user.auth, ("Content-Type", "application/json")], body: Array(#"{"prompt": "caf"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)))
        XCTAssertEqual(invalidUTF8.status, 400)
        let formBody = try user.client.send(HTTPRequest(method: "POST", url: stack.baseURL + "/api/v1/generations",
            headers: [user.auth, ("Content-Type", "application/x-www-form-urlencoded")], body: Array("prompt=x".utf8)))
        XCTAssertEqual(formBody.status, 400)
        let books = try user.books()
        XCTAssertEqual(books.balance, 50)
        XCTAssertEqual(books.usages, 0)
        XCTAssertEqual(try user.object(user.get("/api/v1/generations"))["data"] as? [Any] as? [NSObject], [])
    }

    func testUnauthenticatedCallsAre401() throws {
        let response = try HTTPClient().send(HTTPRequest(method: "POST", url: stack.baseURL + "/api/v1/generations",
                                                        headers: [("Content-Type", "application/json")], body: Array(#"{"prompt":"x"}"#.utf8)))
        XCTAssertEqual(response.status, 401)
    }

    func testInsufficientCreditsIs402AndChargesNothing() throws {
        let user = try APIUser.create(on: stack, credits: 3)
        let response = try user.post(#"{"prompt": "x", "model": "sdxl", "count": 2}"#)
        XCTAssertEqual(response.status, 402)
        XCTAssertEqual((try user.object(response)["error"] as? [String: String])?["code"], "insufficient_credits")
        let books = try user.books()
        XCTAssertEqual(books.balance, 3)
        XCTAssertEqual(books.usages, 0)
    }

    func testFortyConcurrentRequestsNeverOverdraw() throws {
        let user = try APIUser.create(on: stack, credits: 5)
        let collected = Mutex<[Int]>([])
        let url = stack.baseURL + "/api/v1/generations", auth = user.auth
        DispatchQueue.concurrentPerform(iterations: 40) { _ in
            let client = HTTPClient(connectTimeout: 5, timeout: 60)
            let status = (try? client.send(HTTPRequest(method: "POST", url: url,
                headers: [auth, ("Content-Type", "application/json")], body: Array(#"{"prompt": "race", "model": "flux-schnell"}"#.utf8))).status) ?? -1
            collected.withLock { $0.append(status) }
        }
        let statuses = collected.withLock { $0 }
        XCTAssertEqual(statuses.filter { $0 == 202 || $0 == 200 }.count, 5, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 402 }.count, 35, "\(statuses)")
        let books = try user.books()
        XCTAssertEqual(books.balance, 0)
        XCTAssertEqual(books.ledger, 0)
        XCTAssertEqual(books.usages, 5)
    }

    func testFailingProviderEndsFailedWithCreditsBack() throws {
        for (prompt, reason) in [("[fail] a cat", "The image service failed (it answered HTTP 500). Your credits were returned."),
                                 ("[hang] a cat", "The image service did not answer in time. Your credits were returned."),
                                 ("[garbage] a cat", "The image service sent something that is not an image. Your credits were returned.")] {
            let user = try APIUser.create(on: stack)
            let created = try user.object(user.post(#"{"prompt": "\#(prompt)", "model": "gpu", "width": 512, "height": 512}"#))
            let done = try user.finished(created["id"] as! String)
            XCTAssertEqual(done["status"] as? String, "failed", prompt)
            XCTAssertEqual(done["error"] as? String, reason)
            XCTAssertTrue(done["image_url"] is NSNull)
            let books = try user.books()
            XCTAssertEqual(books.balance, 50, prompt)
            XCTAssertEqual(books.ledger, 50, prompt)
            XCTAssertEqual(books.usages, 1)
            XCTAssertEqual(books.refunds, 1)
        }
    }

    func testOtherUsersGenerationsAre404() throws {
        let owner = try APIUser.create(on: stack)
        let id = try owner.object(owner.post(#"{"prompt": "mine"}"#))["id"] as! String
        let other = try APIUser.create(on: stack)
        XCTAssertEqual(try other.get("/api/v1/generations/" + id).status, 404)
        let delete = try other.client.send(HTTPRequest(method: "DELETE", url: stack.baseURL + "/api/v1/generations/" + id, headers: [other.auth]))
        XCTAssertEqual(delete.status, 404)
        for bad in ["nope", "../../etc/passwd", "%2e%2e%2fetc", "00000000-0000-0000-0000-000000000000"] {
            XCTAssertEqual(try owner.get("/api/v1/generations/" + bad).status, 404, bad)
        }
        XCTAssertEqual(try owner.get("/api/v1/generations/" + id).status, 200)
    }

    func testListIsNewestFirstWithAStableCursor() throws {
        let user = try APIUser.create(on: stack)
        var ids: [String] = []
        for index in 0..<5 { ids.append(try user.object(user.post(#"{"prompt": "item \#(index)"}"#))["id"] as! String) }
        let first = try user.object(user.get("/api/v1/generations?limit=2"))
        let cursor = try XCTUnwrap(first["next_cursor"] as? String)
        _ = try user.post(#"{"prompt": "arrives between pages"}"#)
        let second = try user.object(user.get("/api/v1/generations?limit=2&cursor=" + cursor))
        let third = try user.object(user.get("/api/v1/generations?limit=2&cursor=" + (second["next_cursor"] as! String)))
        let seen = [first, second, third].flatMap { ($0["data"] as! [[String: Any]]).map { $0["id"] as! String } }
        XCTAssertEqual(seen, ids.reversed())
        XCTAssertTrue(third["next_cursor"] is NSNull)
        XCTAssertEqual(try user.get("/api/v1/generations?limit=0").status, 400)
        XCTAssertEqual(try user.get("/api/v1/generations?cursor=garbage").status, 400)
    }

    func testDeleteRemovesTheRowAndTheFiles() throws {
        let user = try APIUser.create(on: stack)
        let generation = try user.object(user.post(#"{"prompt": "to delete"}"#, headers: [("Prefer", "wait=30")]))
        let id = generation["id"] as! String
        let urls = ["image_url", "thumbnail_url", "thumbnail_large_url"].map { stack.baseURL + (generation[$0] as! String) }
        for url in urls { XCTAssertEqual(try HTTPClient().get(url, headers: [user.auth]).status, 200) }
        let files = try FileManager.default.subpathsOfDirectory(atPath: stack.state + "/media").filter { $0.hasSuffix(".png") || $0.hasSuffix(".webp") }
        let delete = try user.client.send(HTTPRequest(method: "DELETE", url: stack.baseURL + "/api/v1/generations/" + id, headers: [user.auth]))
        XCTAssertEqual(delete.status, 204)
        for url in urls { XCTAssertEqual(try HTTPClient().get(url, headers: [user.auth]).status, 404) }
        let left = try FileManager.default.subpathsOfDirectory(atPath: stack.state + "/media").filter { $0.hasSuffix(".png") || $0.hasSuffix(".webp") }
        XCTAssertEqual(files.count - left.count, 3, "the image and both thumbnails are gone from disk")
        XCTAssertEqual(try user.get("/api/v1/generations/" + id).status, 404)
        XCTAssertEqual(try user.books().balance, 49, "a finished image's credits are spent")
    }

    func testIdempotencyKeyReplaysInsteadOfChargingAgain() throws {
        let user = try APIUser.create(on: stack)
        let body = #"{"prompt": "once only", "seed": 5}"#
        let first = try user.object(user.post(body, headers: [("Idempotency-Key", "order-123")]))
        let again = try user.object(user.post(body, headers: [("Idempotency-Key", "order-123")]))
        XCTAssertEqual(first["id"] as? String, again["id"] as? String)
        let different = try user.post(#"{"prompt": "something else"}"#, headers: [("Idempotency-Key", "order-123")])
        XCTAssertEqual(different.status, 409)
        XCTAssertEqual(try user.books().usages, 1)

        // Once the work is done, a replay answers 200 with the finished image, as the document says.
        XCTAssertEqual(try user.finished(try XCTUnwrap(first["id"] as? String))["status"] as? String, "succeeded")
        let finished = try user.post(body, headers: [("Idempotency-Key", "order-123")])
        XCTAssertEqual(finished.status, 200, finished.text)
        XCTAssertEqual(try user.object(finished)["status"] as? String, "succeeded")
        XCTAssertEqual(try user.books().usages, 1)
    }

    func testTheServerRefusesWhatTheDocumentForbidsAndNamesTheField() throws {
        let user = try APIUser.create(on: stack)
        let id = try XCTUnwrap(try user.object(user.post(#"{"prompt": "strict"}"#))["id"] as? String)
        func patch(_ body: String) throws -> HTTPResponse {
            try user.client.send(HTTPRequest(method: "PATCH", url: stack.baseURL + "/api/v1/generations/" + id,
                                             headers: [user.auth, ("Content-Type", "application/json")], body: Array(body.utf8)))
        }
        for (body, message) in [(#"{"favorite": null}"#, "`favorite` must be true or false, not null."),
                                (#"{"public": null, "favorite": true}"#, "`public` must be true or false, not null.")] {
            let refused = try patch(body)
            XCTAssertEqual(refused.status, 400, body)
            XCTAssertEqual((try user.object(refused)["error"] as? [String: String])?["message"], message)
        }
        XCTAssertEqual(try patch(#"{"favorite": true}"#).status, 200)
        for cursor in ["+5", "-5", " 5", "5.0", "0"] {
            let answer = try user.get("/api/v1/transactions?cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            XCTAssertEqual(answer.status, 400, "cursor \(cursor)")
        }
        let wrongShape = try user.post(#"{"prompt": "x", "count": 1.5}"#)
        XCTAssertEqual(wrongShape.status, 400)
        XCTAssertTrue(wrongShape.text.contains("`count` must be a whole number from 1 to 4."), wrongShape.text)
        let lowerCase = try user.client.get(stack.baseURL + "/api/v1/me", headers: [("Authorization", "bearer " + user.key)])
        XCTAssertEqual(lowerCase.status, 200, "the Bearer scheme is case-insensitive")
    }

    func testSingleGenerationsAndTheDocumentRevalidateWithETags() throws {
        let user = try APIUser.create(on: stack)
        let id = try XCTUnwrap(try user.object(user.post(#"{"prompt": "tagged"}"#))["id"] as? String)
        XCTAssertEqual(try user.finished(id)["status"] as? String, "succeeded")
        let first = try user.get("/api/v1/generations/" + id)
        let tag = try XCTUnwrap(first.header("etag"))
        let same = try user.client.get(stack.baseURL + "/api/v1/generations/" + id, headers: [user.auth, ("If-None-Match", tag)])
        XCTAssertEqual(same.status, 304)
        XCTAssertTrue(same.body.isEmpty)
        XCTAssertEqual(same.header("etag"), tag)
        _ = try user.client.send(HTTPRequest(method: "PATCH", url: stack.baseURL + "/api/v1/generations/" + id,
                                             headers: [user.auth, ("Content-Type", "application/json")], body: Array(#"{"favorite": true}"#.utf8)))
        let changed = try user.client.get(stack.baseURL + "/api/v1/generations/" + id, headers: [user.auth, ("If-None-Match", tag)])
        XCTAssertEqual(changed.status, 200, "a change makes a new tag")
        XCTAssertNotEqual(changed.header("etag"), tag)

        let document = try user.client.get(stack.baseURL + "/api/v1/openapi.json")
        let documentTag = try XCTUnwrap(document.header("etag"))
        XCTAssertEqual(try user.client.get(stack.baseURL + "/api/v1/openapi.json", headers: [("If-None-Match", documentTag)]).status, 304)
    }

    func testModelsAndTransactionsEndpoints() throws {
        let user = try APIUser.create(on: stack)
        let models = try XCTUnwrap(try user.object(user.get("/api/v1/models"))["data"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["name"] as? String }, ["flux-schnell", "sdxl", "flux-schnell-hd", "gpu"])
        XCTAssertEqual(models.map { $0["credit_cost"] as? Int }, [1, 2, 3, 2])
        _ = try user.post(#"{"prompt": "ledger"}"#)
        let ledger = try XCTUnwrap(try user.object(user.get("/api/v1/transactions"))["data"] as? [[String: Any]])
        XCTAssertEqual(ledger.map { $0["kind"] as? String }, ["usage", "bonus"])
        XCTAssertEqual(ledger.map { $0["amount"] as? Int }, [-1, 50])
    }
}

/// Worker crashes and the per-user rate limit, each on a stack of its own.
final class GenerationFaultTests: XCTestCase {
    func testJobOfAKilledWorkerIsFinishedByAnotherAndChargedOnce() throws {
        let fake = FakeA1111()
        defer { fake.stop() }
        let stack = try PictorStack(settings: [
            "provider.a1111.url": fake.url, "model.gpu.provider": "a1111", "model.gpu.cost": "2", "model.gpu.sizes": "512x512",
            // The fake takes 3 s; room for a busy machine before the job would time out.
            "generation.lease": "8", "generation.job_timeout": "7",
        ], jobWorkers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let id = try user.object(user.post(#"{"prompt": "[slow] survives a crash", "model": "gpu", "width": 512, "height": 512}"#))["id"] as! String
        try stack.waitFor("the job to start") { (try? user.object(user.get("/api/v1/generations/" + id))["status"] as? String) == "running" }
        kill(stack.jobWorkers[0].processIdentifier, SIGKILL)
        try stack.startJobWorker()
        let done = try user.finished(id, seconds: 40)
        XCTAssertEqual(done["status"] as? String, "succeeded")
        let books = try user.books()
        XCTAssertEqual(books.usages, 1)
        XCTAssertEqual(books.refunds, 0)
        XCTAssertEqual(books.balance, 48)
        XCTAssertEqual(books.ledger, 48)
    }

    func testStorageFailureEndsFailedWithCreditsBack() throws {
        // A media root under a regular file: every write fails, as on a full or read-only disk.
        let stack = try PictorStack(settings: ["paths.media": "/dev/null/media"], jobWorkers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let id = try user.object(user.post(#"{"prompt": "nowhere to go", "width": 512, "height": 512}"#))["id"] as! String
        let done = try user.finished(id)
        XCTAssertEqual(done["status"] as? String, "failed")
        XCTAssertEqual(done["error"] as? String, "The image could not be stored. Your credits were returned.")
        let books = try user.books()
        XCTAssertEqual(books.balance, 50)
        XCTAssertEqual(books.ledger, 50)
        XCTAssertEqual(books.refunds, 1)
    }

    func testAtMostHalfOfAWorkersThreadsWaitForResults() throws {
        // One worker with two threads, and no job worker: nothing finishes, every wait runs out.
        let stack = try PictorStack(settings: ["server.threads": "2"], workers: 1)
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let sameUserElsewhere = APIUser(stack: stack, email: user.email, key: user.key)  // its own HTTP client
        let waiting = DispatchGroup()
        nonisolated(unsafe) var first: HTTPResponse?
        DispatchQueue.global().async(group: waiting) {
            first = try? sameUserElsewhere.post(#"{"prompt": "waits its three seconds"}"#, headers: [("Prefer", "wait=3")])
        }
        try stack.waitFor("the first request to be waiting") {
            (try? Connection(stack.databaseURL).query("SELECT count(*) AS n FROM generations")[0].get("n", as: Int.self)) == 1
        }
        // The other thread is not given to a second wait: answered at once, as without Prefer.
        let second = try user.post(#"{"prompt": "finds no free slot"}"#, headers: [("Prefer", "wait=3")])
        XCTAssertEqual(second.status, 202)
        XCTAssertNil(second.header("preference-applied"))
        XCTAssertEqual(try HTTPClient().get(stack.baseURL + "/healthz").status, 200, "pages are still served")
        XCTAssertEqual(waiting.wait(timeout: .now() + 1), .timedOut, "the first is still waiting")

        XCTAssertEqual(waiting.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(first?.status, 202, "still queued when its wait ran out")
        XCTAssertEqual(first?.header("preference-applied"), "wait=3")
        XCTAssertEqual(try user.books().usages, 2, "both were queued and charged once")
    }

    func testGenerationRequestsAreRateLimitedPerUser() throws {
        let stack = try PictorStack(settings: ["generation.requests_per_minute": "3"])
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let first = try user.object(user.post(#"{"prompt": "quick"}"#, headers: [("Idempotency-Key", "first")]))
        for _ in 0..<2 { XCTAssertEqual(try user.post(#"{"prompt": "quick"}"#).status, 202) }
        let limited = try user.post(#"{"prompt": "one too many"}"#)
        XCTAssertEqual(limited.status, 429)
        XCTAssertNotNil(Int(limited.header("retry-after") ?? ""))
        XCTAssertEqual((try user.object(limited)["error"] as? [String: String])?["code"], "rate_limited")
        XCTAssertEqual(try user.books().usages, 3, "the refused request charged nothing")

        // A retry of an earlier request asks for nothing new: it gets its answer, not a 429.
        let retry = try user.post(#"{"prompt": "quick"}"#, headers: [("Idempotency-Key", "first")])
        XCTAssertEqual(retry.status, 202)
        XCTAssertEqual(try user.object(retry)["id"] as? String, first["id"] as? String)
        XCTAssertEqual(try user.books().usages, 3, "the retry charged nothing")
    }
}

final class GenerationRetryTests: XCTestCase {
    func testRetryWithoutSeedReplaysAndBadPreferChargesNothing() throws {
        let stack = try PictorStack()
        defer { stack.stop() }
        let user = try APIUser.create(on: stack)
        let body = #"{"prompt": "no seed given"}"#
        let first = try user.object(user.post(body, headers: [("Idempotency-Key", "retry-1")]))
        let retry = try user.post(body, headers: [("Idempotency-Key", "retry-1")])
        XCTAssertEqual(retry.status, 202)
        XCTAssertEqual(try user.object(retry)["id"] as? String, first["id"] as? String)
        XCTAssertEqual(try user.object(retry)["seed"] as? Int, first["seed"] as? Int)

        let badPrefer = try user.post(#"{"prompt": "x"}"#, headers: [("Prefer", "wait=99")])
        XCTAssertEqual(badPrefer.status, 400)
        let badKey = try user.post(#"{"prompt": "x"}"#, headers: [("Idempotency-Key", String(repeating: "k", count: 300))])
        XCTAssertEqual(badKey.status, 400)
        XCTAssertEqual(try user.books().usages, 1)
        XCTAssertEqual(try user.books().balance, 49)
    }
}
