// `[model.NAME]` and `[provider.NAME]` sections of the config file: which models are offered,
// what they cost, and which configured provider draws each.

import Foundation

enum ModelSettings {
    static let modelFields = ["label", "provider", "provider_model", "cost", "sizes", "upscale", "steps", "summary"]
    static let providerFields = ["type", "url", "key", "connect_timeout", "timeout", "concurrency",
                                 "max_response_bytes", "poll_interval"]

    /// `model.sdxl.cost`, `provider.pixelapi.key` and the like.
    static func isSectionKey(_ key: String) -> Bool {
        guard let (section, _, field) = split(key) else { return false }
        return section == "model" ? modelFields.contains(field) : providerFields.contains(field)
    }

    /// ("model" | "provider", name, field) of a dotted key, or nil for any other key.
    private static func split(_ key: String) -> (String, String, String)? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "model" || parts[0] == "provider", !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    /// The names of a kind of section, in the order the file first mentions them (then by name).
    private static func names(_ section: String, in values: [String: String], lines: [String: Int] = [:]) -> [String] {
        var first: [String: Int] = [:]
        for key in values.keys {
            guard let (kind, name, _) = split(key), kind == section else { continue }
            first[name] = min(first[name] ?? Int.max, lines[key] ?? Int.max)
        }
        return first.keys.sorted { (first[$0]!, $0) < (first[$1]!, $1) }
    }

    /// Model and provider names travel in URLs, JSON and a claim query's list: plain ids only.
    private static func checkName(_ name: String, section: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
        guard allowed, name.count <= 64 else {
            throw ConfigError(description: "[\(section).\(name)]: a name may hold only letters, digits, '.', '_' and '-' (at most 64)")
        }
    }

    /// The environment variables that may set a provider's settings: `PICTOR_PROVIDER_<NAME>_<FIELD>`,
    /// NAME upper-cased with `-` as `_`, for every provider a section or a model names (and the
    /// kinds, so `PICTOR_PROVIDER_OPENAI_KEY` alone configures OpenAI for a model that uses it).
    static func environmentKeys(for values: [String: String]) -> [String] {
        let referenced = names("model", in: values).compactMap { values["model.\($0).provider"] }
        let providers = Set(names("provider", in: values) + referenced + ProviderKind.allCases.map(\.rawValue))
        return providers.sorted().flatMap { name in providerFields.map { "provider.\(name).\($0)" } }
    }

    /// The file's models in the file's order (the builtin preview models if it has none) and the
    /// providers they use. A model whose provider lacks a URL or key is left out, with a notice saying why;
    /// a model naming a provider that is neither a section nor a known type is an error (a typo).
    static func resolve(_ values: [String: String], lines: [String: Int]) throws -> (models: [ImageModel], providers: [ProviderSettings], notices: [String]) {
        var providers: [String: ProviderSettings] = ["builtin": try provider("builtin", values)]
        for name in names("provider", in: values) { providers[name] = try provider(name, values) }
        let declared = names("model", in: values, lines: lines)
        var models = declared.isEmpty ? ImageModel.defaults : try declared.map { try model($0, values) }
        var notices: [String] = []
        models = try models.filter { model in
            if providers[model.provider] == nil {
                guard ProviderKind(rawValue: model.provider) != nil else {
                    throw ConfigError(description: "model.\(model.name).provider: there is no [provider.\(model.provider)] section (types: \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                providers[model.provider] = try provider(model.provider, values)
            }
            guard let missing = providers[model.provider]!.missingSetting else { return true }
            notices.append("model \(model.name) is not offered: provider \(model.provider) has no \(missing)")
            return false
        }
        guard !models.isEmpty else {
            throw ConfigError(description: "no model can be offered: " + notices.joined(separator: "; "))
        }
        for index in models.indices {
            models[index].providerKind = providers[models[index].provider]!.kind
        }
        let used = Set(models.map(\.provider))
        return (models, providers.values.filter { used.contains($0.name) }.sorted { $0.name < $1.name }, notices)
    }

    private static func provider(_ name: String, _ values: [String: String]) throws -> ProviderSettings {
        try checkName(name, section: "provider")
        func value(_ field: String) -> String? { values["provider.\(name).\(field)"].flatMap { $0.isEmpty ? nil : $0 } }
        let typeName = value("type") ?? name
        guard let kind = ProviderKind(rawValue: typeName) else {
            throw ConfigError(description: "provider.\(name).type must be one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(typeName)'")
        }
        var url = value("url") ?? kind.defaultURL ?? ""
        while url.hasSuffix("/") { url.removeLast() }
        guard url.isEmpty || url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ConfigError(description: "provider.\(name).url must start with http:// or https://")
        }
        var settings = ProviderSettings(name: name, kind: kind, url: url, key: value("key"))
        let number = NumberReader(prefix: "provider.\(name).", values: values)
        try number.seconds("connect_timeout", into: &settings.connectTimeout)
        try number.seconds("timeout", into: &settings.timeout)
        try number.seconds("poll_interval", into: &settings.pollInterval)
        if kind == .builtin { settings.concurrency = ProcessInfo.processInfo.activeProcessorCount }
        try number.int("concurrency", into: &settings.concurrency, range: 1...1024)
        try number.int("max_response_bytes", into: &settings.maxResponseBytes, range: 1024...(1 << 30))
        return settings
    }

    private static func model(_ name: String, _ values: [String: String]) throws -> ImageModel {
        try checkName(name, section: "model")
        func value(_ field: String) -> String? { values["model.\(name).\(field)"] }
        guard let provider = value("provider"), !provider.isEmpty else {
            throw ConfigError(description: "model.\(name): `provider` is required")
        }
        var model = ImageModel(name: name, provider: provider, creditCost: 1, summary: value("summary") ?? "")
        let number = NumberReader(prefix: "model.\(name).", values: values)
        guard value("cost") != nil else { throw ConfigError(description: "model.\(name): `cost` (credits per image) is required") }
        try number.int("cost", into: &model.creditCost, range: 0...1_000_000)
        try number.int("steps", into: &model.defaultSteps, range: 1...200)
        var factor = 1
        try number.int("upscale", into: &factor, range: 1...2)
        model.upscale = factor == 2
        model.label = value("label") ?? name
        model.providerModel = value("provider_model") ?? name
        if let text = value("sizes") { model.sizes = try sizes(text, model: name) }
        return model
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

extension ProviderSettings {
    /// What a provider still needs before its models can be offered, or nil when it is ready.
    var missingSetting: String? {
        if kind == .builtin { return nil }
        if url.isEmpty { return "url (set provider.\(name).url)" }
        if kind.needsKey(at: url), key == nil {
            return "key (set PICTOR_PROVIDER_\(name.uppercased().replacingOccurrences(of: "-", with: "_"))_KEY)"
        }
        return nil
    }
}

/// Numbers of one section, with errors that name the setting.
private struct NumberReader {
    let prefix: String
    let values: [String: String]

    func int(_ field: String, into target: inout Int, range: ClosedRange<Int>) throws {
        guard let text = values[prefix + field] else { return }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), range.contains(value) else {
            throw ConfigError(description: "\(prefix)\(field) must be a whole number in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
        }
        target = value
    }

    func seconds(_ field: String, into target: inout Double) throws {
        guard let text = values[prefix + field] else { return }
        guard let value = Double(text), value > 0, value <= 86_400 else {
            throw ConfigError(description: "\(prefix)\(field) must be a number of seconds, got '\(text)'")
        }
        target = value
    }
}
