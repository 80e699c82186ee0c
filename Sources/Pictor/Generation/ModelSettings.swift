// `[model.NAME]` sections of the config file: change a default model or add one.

import Foundation

enum ModelSettings {
    static let fields = ["provider", "credit_cost", "sizes", "default_steps", "upscale", "summary"]

    /// `model.sdxl.credit_cost` and the like.
    static func isModelKey(_ key: String) -> Bool {
        let parts = key.split(separator: ".")
        return parts.count == 3 && parts[0] == "model" && fields.contains(String(parts[2]))
    }

    static func apply(_ values: [String: String], to defaults: [ImageModel]) throws -> [ImageModel] {
        var models = defaults
        let names = Set(values.keys.filter(isModelKey).map { String($0.split(separator: ".")[1]) })
        for name in names.sorted() {
            func value(_ field: String) -> String? { values["model.\(name).\(field)"] }
            let base = models.first { $0.name == name }
            guard let provider = value("provider") ?? base?.provider else {
                throw ConfigError(description: "model.\(name): a new model needs `provider`")
            }
            var costText = value("credit_cost")
            if costText == nil, let base { costText = String(base.creditCost) }
            guard let cost = Int(costText ?? ""), cost >= 0 else {
                throw ConfigError(description: "model.\(name).credit_cost must be a whole number of credits")
            }
            var model = ImageModel(name: name, provider: provider, creditCost: cost,
                                   summary: value("summary") ?? base?.summary ?? name)
            model.sizes = try value("sizes").map { try sizes($0, model: name) } ?? base?.sizes ?? ImageSize.common
            model.defaultSteps = try value("default_steps").map {
                guard let steps = Int($0), (1...200).contains(steps) else {
                    throw ConfigError(description: "model.\(name).default_steps must be 1…200")
                }
                return steps
            } ?? base?.defaultSteps ?? 4
            model.upscale = value("upscale").map { ["on", "true", "yes", "1"].contains($0.lowercased()) } ?? base?.upscale ?? false
            if let index = models.firstIndex(where: { $0.name == name }) { models[index] = model } else { models.append(model) }
        }
        return models
    }

    /// "1024x1024, 768x1344".
    static func sizes(_ text: String, model: String) throws -> [ImageSize] {
        try text.split(separator: ",").map { item in
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
                  (64...4096).contains(width), (64...4096).contains(height) else {
                throw ConfigError(description: "model.\(model).sizes: '\(item)' is not WIDTHxHEIGHT (64…4096)")
            }
            return ImageSize(width, height)
        }
    }
}
