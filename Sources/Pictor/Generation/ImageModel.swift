// The image models people choose from: what each costs and which provider draws it.

/// A width × height an image can be made at.
public struct ImageSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public init(_ width: Int, _ height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }

    public static let square = ImageSize(1024, 1024)
    public static let common = [square, ImageSize(1024, 768), ImageSize(768, 1024), ImageSize(1344, 768), ImageSize(768, 1344), ImageSize(512, 512)]
}

/// A model as configured (`[model.NAME]`): its name, the provider that draws it and its price
/// in credits per image.
public struct ImageModel: Sendable {
    /// The id people and API clients choose it by.
    public let name: String
    /// The name of a configured provider (`[provider.NAME]`, or `builtin`).
    public let provider: String
    public var creditCost: Int
    /// One line for people choosing a model.
    public let summary: String
    /// What pages call it, e.g. "FLUX.1 schnell (fast)".
    public var label: String
    /// The model's name at the provider, e.g. `flux-schnell` or `dall-e-3`.
    public var providerModel: String
    public var sizes: [ImageSize] = ImageSize.common
    public var defaultSteps = 4
    /// Upscale the provider's image 2x before storing it (the -hd models).
    public var upscale = false
    /// The kind of API its provider speaks (set from the provider's section).
    public var providerKind = ProviderKind.builtin
    /// Whether its images come from the offline generator rather than an AI model.
    public var isOfflinePreview: Bool { providerKind == .builtin }

    public init(name: String, provider: String, creditCost: Int, summary: String, label: String? = nil,
                sizes: [ImageSize] = ImageSize.common, defaultSteps: Int = 4, upscale: Bool = false) {
        self.name = name
        self.provider = provider
        self.creditCost = creditCost
        self.summary = summary
        self.label = label ?? name
        self.providerModel = name
        self.sizes = sizes
        self.defaultSteps = defaultSteps
        self.upscale = upscale
    }

    /// The models of a config file with no `[model.*]` section (the shipped pictor.conf spells
    /// them out): the product contract's three, drawn by the offline `builtin` provider.
    public static let defaults = [
        ImageModel(name: "flux-schnell", provider: "builtin", creditCost: 1,
                   summary: "Fast drafts: try ideas cheaply.", label: "FLUX.1 schnell"),
        ImageModel(name: "sdxl", provider: "builtin", creditCost: 2,
                   summary: "Richer detail and styles.", label: "Stable Diffusion XL", defaultSteps: 30),
        ImageModel(name: "flux-schnell-hd", provider: "builtin", creditCost: 3,
                   summary: "A flux-schnell image upscaled 2x for print and wallpapers.", label: "FLUX.1 schnell HD",
                   sizes: [ImageSize(512, 512), ImageSize(1024, 1024), ImageSize(1024, 768), ImageSize(768, 1024)],
                   upscale: true),
    ]

    /// "1 credit" / "3 credits".
    public var costLabel: String { creditCost == 1 ? "1 credit" : "\(creditCost) credits" }
}
