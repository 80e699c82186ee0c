// GET /api/v1/openapi.json: the OpenAPI document shipped in public/, completed at start with
// what this instance's configuration decides — the model names and, for each model, the sizes it
// makes — so a client generated from it sends only requests the server accepts.

import Foundation

enum APIDocument {
    /// The handler serving the document built now from `publicDirectory` and `models`.
    static func handler(publicDirectory: String, models: [ImageModel]) -> Handler {
        let document = FileManager.default.contents(atPath: publicDirectory + "/openapi.json")
            .flatMap { try? completed(Array($0), models: models) }
        return { _ in
            guard let document else { throw HTTPError.notFound("The API description is not installed.") }
            return Reply.document(document, contentType: "application/json").header("Cache-Control", "public, max-age=300").withValidator()
        }
    }

    /// The shipped document with the configured models written into the request schemas.
    static func completed(_ shipped: [UInt8], models: [ImageModel]) throws -> [UInt8] {
        guard var document = try JSONSerialization.jsonObject(with: Data(shipped)) as? [String: Any],
              var components = document["components"] as? [String: Any],
              var schemas = components["schemas"] as? [String: Any],
              var native = schemas["GenerationRequest"] as? [String: Any],
              var openAI = schemas["OpenAIImageRequest"] as? [String: Any], let first = models.first else {
            throw HTTPError(500, code: "internal_error", message: "public/openapi.json lacks the request schemas.")
        }
        native["anyOf"] = nativeCombinations(models, default: first)
        openAI["anyOf"] = openAICombinations(models, default: first)
        schemas["GenerationRequest"] = native
        schemas["OpenAIImageRequest"] = openAI
        components["schemas"] = schemas
        document["components"] = components
        return Array(try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// `model`, `width` and `height` together must name one of that model's sizes. An absent or
    /// null model is the first; an absent or null side is 1024.
    static func nativeCombinations(_ models: [ImageModel], default first: ImageModel) -> [[String: Any]] {
        models.flatMap { model in
            model.sizes.map { size in
                var properties: [String: Any] = [:], required: [String] = []
                func side(_ name: String, _ value: Int) {
                    properties[name] = ["enum": value == 1024 ? [value, NSNull()] : [value]]
                    if value != 1024 { required.append(name) }
                }
                side("width", size.width)
                side("height", size.height)
                properties["model"] = ["enum": model.name == first.name ? [model.name, NSNull()] : [model.name]]
                if model.name != first.name { required.append("model") }
                return ["properties": properties, "required": required]
            }
        }
    }

    /// `model` and `size` together must name one of that model's sizes; `auto`, null or absent is
    /// the model's default.
    static func openAICombinations(_ models: [ImageModel], default first: ImageModel) -> [[String: Any]] {
        models.map { model in
            let sizes: [Any] = model.sizes.map(\.description) + ["auto", NSNull()]
            let name: [Any] = model.name == first.name ? [model.name, NSNull()] : [model.name]
            return ["properties": ["model": ["enum": name], "size": ["enum": sizes]],
                    "required": model.name == first.name ? [] : ["model"]]
        }
    }
}
