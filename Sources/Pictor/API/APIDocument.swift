// GET /api/v1/openapi.json: the OpenAPI document shipped in public/, read once at start.

import FastCGI
import Foundation

enum APIDocument {
    static func register(in router: inout Router, publicDirectory: String) {
        let document = FileManager.default.contents(atPath: publicDirectory + "/openapi.json").map { Array($0) }
        router.get("/api/v1/openapi.json") { _ in
            guard let document else { throw HTTPError.notFound("The API description is not installed.") }
            return Response(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "public, max-age=300")],
                            body: document)
        }
    }
}
