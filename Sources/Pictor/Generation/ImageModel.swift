// The image models people choose from: what each costs and which provider draws it.

/// A model as configured: its name, its provider and its price in credits per image.
public struct ImageModel: Sendable {
    public let name: String
    public let provider: String
    public let creditCost: Int
    /// One line for people choosing a model.
    public let summary: String

    /// The defaults from the product contract; every one is drawn by the offline `builtin`
    /// provider until a real provider is configured.
    public static let defaults = [
        ImageModel(name: "flux-schnell", provider: "builtin", creditCost: 1,
                   summary: "Fast drafts: try ideas cheaply."),
        ImageModel(name: "sdxl", provider: "builtin", creditCost: 2,
                   summary: "Richer detail and styles."),
        ImageModel(name: "flux-schnell-hd", provider: "builtin", creditCost: 3,
                   summary: "A flux-schnell image upscaled 2x for print and wallpapers."),
    ]

    /// Whether its images come from the offline generator rather than an AI model.
    public var isOfflinePreview: Bool { provider == "builtin" }

    /// "1 credit" / "3 credits".
    public var costLabel: String { creditCost == 1 ? "1 credit" : "\(creditCost) credits" }
}
