// The OpenAPI document through nginx: served byte for byte as shipped in public/openapi.json,
// and every route it documents answers real calls the way it documents them.

import Foundation
import HTTPClient
import TestSupport
import XCTest

final class OpenAPITests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    /// The file the server serves as is.
    static let shippedPath = PictorStack.root + "/public/openapi.json"

    /// Every operation the server implements today, as "METHOD path".
    static let implemented: Set<String> = [
        "POST /api/v1/generations", "GET /api/v1/generations",
        "GET /api/v1/generations/{id}", "DELETE /api/v1/generations/{id}", "PATCH /api/v1/generations/{id}",
        "GET /api/v1/models", "GET /api/v1/transactions", "GET /api/v1/me", "GET /api/v1/me/export",
        "GET /api/v1/openapi.json", "GET /healthz",
        "POST /v1/images/generations", "GET /v1/models",
    ]

    override class func setUp() { stack = try! PictorStack(jobWorkers: 1) }
    override class func tearDown() { stack.stop(); stack = nil }

    func testDocumentIsServedWithoutCredentialsAsShippedWithTheConfiguredModelsAndSizes() throws {
        let response = try HTTPClient().get(stack.baseURL + "/api/v1/openapi.json")
        XCTAssertEqual(response.status, 200, response.text)
        XCTAssertEqual(mediaType(response), "application/json")
        let shipped = try XCTUnwrap(FileManager.default.contents(atPath: Self.shippedPath), "public/openapi.json is missing")
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])

        // What the configuration adds: each model with the sizes it makes, in both request schemas.
        var served = document
        var components = try XCTUnwrap(served["components"] as? [String: Any])
        var schemas = try XCTUnwrap(components["schemas"] as? [String: Any])
        var native = try XCTUnwrap(schemas["GenerationRequest"] as? [String: Any])
        let combinations = try XCTUnwrap(native.removeValue(forKey: "anyOf") as? [[String: Any]])
        XCTAssertEqual(combinations.count, 6 + 6 + 4, "one per size of each of the three builtin models")
        XCTAssertTrue(combinations.contains { ($0["properties"] as? NSDictionary) == ["model": ["enum": ["flux-schnell-hd"]],
                                                                                       "width": ["enum": [512]], "height": ["enum": [512]]] })
        var openAI = try XCTUnwrap(schemas["OpenAIImageRequest"] as? [String: Any])
        XCTAssertEqual((openAI.removeValue(forKey: "anyOf") as? [Any])?.count, 3)
        schemas["GenerationRequest"] = native
        schemas["OpenAIImageRequest"] = openAI
        components["schemas"] = schemas
        served["components"] = components
        XCTAssertEqual(served as NSDictionary, try JSONSerialization.jsonObject(with: shipped) as? NSDictionary,
                       "apart from that, the served document is public/openapi.json")

        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let info = try XCTUnwrap(document["info"] as? [String: Any])
        XCTAssertEqual(info["title"] as? String, "Pictor API")
        XCTAssertEqual(info["version"] as? String, "1.0.0")
        XCTAssertEqual((document["servers"] as? [[String: Any]])?.first?["url"] as? String, "/")
    }

    func testDocumentDescribesExactlyTheRoutesTheServerImplements() throws {
        let api = try fetchDocument()
        let operations = api.operations
        XCTAssertEqual(Set(operations.map { $0.name }), Self.implemented)
        let ids = operations.compactMap { $0.operation["operationId"] as? String }
        XCTAssertEqual(ids.count, operations.count, "every operation has an operationId")
        XCTAssertEqual(Set(ids).count, ids.count, "operationIds are unique")
        for entry in operations {
            XCTAssertFalse((entry.operation["summary"] as? String ?? "").isEmpty, "\(entry.name) has a summary")
            XCTAssertFalse(api.statuses(entry.operation).isEmpty, "\(entry.name) documents its responses")
        }
    }

    func testMethodsTheDocumentLeavesOutAre405OnEveryDocumentedPath() throws {
        let api = try fetchDocument()
        let user = try APIUser.create(on: stack)
        let placeholder = UUID().uuidString.lowercased()
        let documented = Set(api.operations.map { $0.name })
        for path in Set(api.operations.map { $0.path }).sorted() {
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] where !documented.contains("\(method) \(path)") {
                let url = stack.baseURL + path.replacingOccurrences(of: "{id}", with: placeholder)
                let response = try user.client.send(HTTPRequest(method: method, url: url, headers: [user.auth]))
                XCTAssertEqual(response.status, 405, "\(method) \(path) is not documented, so it must not be served: \(response.text)")
            }
        }
    }

    func testEveryDocumentedOperationAnswersAValidCallWithADocumentedStatusAndBody() throws {
        let api = try fetchDocument()
        let user = try APIUser.create(on: stack)
        let shown = try generationID(user.post(#"{"prompt": "a lighthouse to read back"}"#, headers: [("Prefer", "wait=30")]))
        let doomed = try generationID(user.post(#"{"prompt": "a lighthouse to delete"}"#))

        var called: Set<String> = []
        for entry in api.operations {
            let path = entry.path.replacingOccurrences(of: "{id}", with: entry.method == "delete" ? doomed : shown)
            XCTAssertFalse(path.contains("{"), "\(entry.name) has a path parameter this test cannot fill")
            var headers = [user.auth]
            var body: [UInt8] = []
            if entry.method == "post" {
                headers.append(("Content-Type", "application/json"))
                body = Array(#"{"prompt": "a minimal documented request"}"#.utf8)
            } else if entry.method == "patch" {
                headers.append(("Content-Type", "application/json"))
                body = Array(#"{"favorite": true}"#.utf8)
            }
            let response = try user.client.send(HTTPRequest(method: entry.method.uppercased(), url: stack.baseURL + path,
                                                            headers: headers, body: body))
            let context = "\(entry.name) → \(response.status) \(response.text.prefix(300))"
            XCTAssertNotEqual(response.status, 404, "a documented route is not found: " + context)
            XCTAssertNotEqual(response.status, 405, "a documented method is refused: " + context)
            XCTAssertTrue((200..<300).contains(response.status), "a valid call fails: " + context)
            XCTAssertTrue(api.statuses(entry.operation).contains(response.status), "undocumented status: " + context)
            try assertBodyIsDocumented(response, entry.operation, api, context)
            called.insert(entry.name)
        }
        XCTAssertEqual(called, Self.implemented)
        XCTAssertEqual(try user.get("/api/v1/generations/" + doomed).status, 404, "the DELETE call really deleted")
    }

    func testGenerationObjectsHaveExactlyTheDocumentedProperties() throws {
        let api = try fetchDocument()
        let schema = try XCTUnwrap(api.resolve("#/components/schemas/Generation"))
        let documented = Set(try XCTUnwrap(schema["properties"] as? [String: Any]).keys)
        XCTAssertEqual(Set(schema["required"] as? [String] ?? []), documented, "every property is always present")
        let examples = schema["examples"] as? [[String: Any]] ?? []
        XCTAssertFalse(examples.isEmpty, "the Generation schema has an example")
        for example in examples { XCTAssertEqual(Set(example.keys), documented, "the example has every property") }

        let user = try APIUser.create(on: stack)
        let created = try user.object(user.post(#"{"prompt": "a lighthouse, property by property"}"#))
        XCTAssertEqual(Set(created.keys), documented, "POST answer")
        let id = try XCTUnwrap(created["id"] as? String)
        let shown = try user.get("/api/v1/generations/" + id)
        XCTAssertEqual(shown.status, 200, shown.text)
        XCTAssertEqual(Set(try user.object(shown).keys), documented, "GET answer")
        let finished = try user.finished(id)
        XCTAssertEqual(finished["status"] as? String, "succeeded")
        XCTAssertEqual(Set(finished.keys), documented, "GET answer once finished")
        let listed = try XCTUnwrap(try user.object(user.get("/api/v1/generations"))["data"] as? [[String: Any]])
        XCTAssertEqual(listed.map { Set($0.keys) }, [documented], "list items")

        let value = try JSONDecoder().decode(DecodedJSON.self, from: Data(user.get("/api/v1/generations/" + id).body))
        XCTAssertNil(api.mismatch(value, schema), "a finished generation fits the Generation schema")
    }

    func testOperationsWithoutSecurityAnswerAnonymousCallsAndTheOthersAre401() throws {
        let api = try fetchDocument()
        XCTAssertFalse((api.document["security"] as? [Any] ?? []).isEmpty, "credentials are required unless an operation says otherwise")
        let client = HTTPClient()
        let placeholder = UUID().uuidString.lowercased()
        for entry in api.operations {
            var headers: [(String, String)] = []
            var body: [UInt8] = []
            if entry.method == "post" {
                headers.append(("Content-Type", "application/json"))
                body = Array(#"{"prompt": "an anonymous lighthouse"}"#.utf8)
            }
            let response = try client.send(HTTPRequest(method: entry.method.uppercased(),
                                                       url: stack.baseURL + entry.path.replacingOccurrences(of: "{id}", with: placeholder),
                                                       headers: headers, body: body))
            let context = "\(entry.name) without credentials → \(response.status) \(response.text.prefix(300))"
            if (entry.operation["security"] as? [Any])?.isEmpty == true {
                XCTAssertTrue((200..<300).contains(response.status), "documented as needing no credentials: " + context)
            } else {
                XCTAssertEqual(response.status, 401, context)
                XCTAssertEqual(response.header("www-authenticate"), "Bearer", context)
            }
            XCTAssertTrue(api.statuses(entry.operation).contains(response.status), "undocumented status: " + context)
            try assertBodyIsDocumented(response, entry.operation, api, context)
        }
    }

    func testSessionCookieCallsThatChangeStateNeedTheDocumentedCSRFHeader() throws {
        let api = try fetchDocument()
        let schemes = (api.document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
        let cookieAuth = try XCTUnwrap(schemes?["cookieAuth"] as? [String: Any])
        XCTAssertEqual(cookieAuth["in"] as? String, "cookie")
        let cookieName = try XCTUnwrap(cookieAuth["name"] as? String)
        XCTAssertTrue((cookieAuth["description"] as? String ?? "").contains("X-CSRF-Token"))
        let create = try XCTUnwrap(api.operation("post", "/api/v1/generations"))
        let remove = try XCTUnwrap(api.operation("delete", "/api/v1/generations/{id}"))

        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.signUp(email: "openapi-\(UUID().uuidString.prefix(8).lowercased())@example.com").status, 303)
        XCTAssertNotNil(browser.cookies[cookieName], "the session cookie is the documented one")
        XCTAssertEqual(try browser.get("/api/v1/me").status, 200, "reading needs no CSRF header")

        func send(_ method: String, _ path: String, csrf: String?) throws -> HTTPResponse {
            var headers: [(String, String)] = []
            var body: [UInt8] = []
            if method == "POST" {
                headers.append(("Content-Type", "application/json"))
                body = Array(#"{"prompt": "a lighthouse from the browser"}"#.utf8)
            }
            if let csrf { headers.append(("X-CSRF-Token", csrf)) }
            return try browser.send(HTTPRequest(method: method, url: stack.baseURL + path, headers: headers, body: body))
        }

        let refused = try send("POST", "/api/v1/generations", csrf: nil)
        XCTAssertEqual(refused.status, 403, refused.text)
        XCTAssertTrue(api.statuses(create).contains(403), "POST documents the 403")
        try assertBodyIsDocumented(refused, create, api, "POST without X-CSRF-Token")

        let token = try browser.csrfToken(on: "/account")
        let created = try send("POST", "/api/v1/generations", csrf: token)
        XCTAssertEqual(created.status, 202, created.text)
        let id = try generationID(created)

        let kept = try send("DELETE", "/api/v1/generations/" + id, csrf: nil)
        XCTAssertEqual(kept.status, 403, kept.text)
        XCTAssertTrue(api.statuses(remove).contains(403), "DELETE documents the 403")
        try assertBodyIsDocumented(kept, remove, api, "DELETE without X-CSRF-Token")
        XCTAssertEqual(try browser.get("/api/v1/generations/" + id).status, 200, "the refused DELETE changed nothing")
        XCTAssertEqual(try send("DELETE", "/api/v1/generations/" + id, csrf: token).status, 204)
    }

    // MARK: Helpers

    private func fetchDocument(file: StaticString = #filePath, line: UInt = #line) throws -> OpenAPIDocument {
        let response = try HTTPClient().get(stack.baseURL + "/api/v1/openapi.json")
        XCTAssertEqual(response.status, 200, response.text, file: file, line: line)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                                     "the document is not a JSON object", file: file, line: line)
        return OpenAPIDocument(document: document)
    }

    private func generationID(_ response: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        XCTAssertTrue([200, 202].contains(response.status), response.text, file: file, line: line)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], response.text,
                                   file: file, line: line)
        return try XCTUnwrap(object["id"] as? String, response.text, file: file, line: line)
    }

    private func mediaType(_ response: HTTPResponse) -> String? {
        response.header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    /// The body is what the operation documents for this status: no body where none is
    /// documented, else a documented media type and, for JSON, a value that fits the schema.
    private func assertBodyIsDocumented(_ response: HTTPResponse, _ operation: [String: Any], _ api: OpenAPIDocument,
                                        _ context: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let documented = (operation["responses"] as? [String: Any])?[String(response.status)] as? [String: Any] else { return }
        let described = api.resolved(documented)
        guard let content = described["content"] as? [String: Any] else {
            XCTAssertTrue(response.body.isEmpty, "documented without a body: " + context, file: file, line: line)
            return
        }
        let type = mediaType(response) ?? "none"
        XCTAssertNotNil(content[type], "undocumented Content-Type \(type): " + context, file: file, line: line)
        guard type == "application/json", let schema = (content[type] as? [String: Any])?["schema"] as? [String: Any] else { return }
        let value = try JSONDecoder().decode(DecodedJSON.self, from: Data(response.body))
        XCTAssertNil(api.mismatch(value, schema), context, file: file, line: line)
    }
}
