// GET /api/v1/openapi.json: the OpenAPI document shipped in public/, read once at start.

import Foundation

enum APIDocument {
    /// The handler serving the document read now from `publicDirectory`.
    static func handler(publicDirectory: String) -> Handler {
        let document = FileManager.default.contents(atPath: publicDirectory + "/openapi.json").map { Array($0) }
        return { _ in
            guard let document else { throw HTTPError.notFound("The API description is not installed.") }
            return Reply.document(document, contentType: "application/json").header("Cache-Control", "public, max-age=300").withValidator()
        }
    }
}
