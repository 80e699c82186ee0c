// The image models people choose from: what each costs and which provider draws it.

/// A width × height an image can be made at.
public struct ImageSize: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public init(_ width: Int, _ height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)x\(height)" }

    public static let square = ImageSize(1024, 1024)
    static let common = [square, ImageSize(1024, 768), ImageSize(768, 1024), ImageSize(1344, 768), ImageSize(768, 1344), ImageSize(512, 512)]
}

/// A model as configured: its name, its provider and its price in credits per image.
public struct ImageModel: Sendable {
    public let name: String
    public let provider: String
    public let creditCost: Int
    /// One line for people choosing a model.
    public let summary: String
    public var sizes: [ImageSize] = ImageSize.common
    public var defaultSteps = 4
    /// Upscale the provider's image 2x before storing it (the -hd models).
    public var upscale = false

    /// The defaults from the product contract; every one is drawn by the offline `builtin`
    /// provider until a real provider is configured.
    public static let defaults = [
        ImageModel(name: "flux-schnell", provider: "builtin", creditCost: 1,
                   summary: "Fast drafts: try ideas cheaply."),
        ImageModel(name: "sdxl", provider: "builtin", creditCost: 2,
                   summary: "Richer detail and styles.", defaultSteps: 30),
        ImageModel(name: "flux-schnell-hd", provider: "builtin", creditCost: 3,
                   summary: "A flux-schnell image upscaled 2x for print and wallpapers.",
                   sizes: [ImageSize(512, 512), ImageSize(1024, 1024), ImageSize(1024, 768), ImageSize(768, 1024)],
                   upscale: true),
    ]

    /// Whether its images come from the offline generator rather than an AI model.
    public var isOfflinePreview: Bool { provider == "builtin" }

    /// "1 credit" / "3 credits".
    public var costLabel: String { creditCost == 1 ? "1 credit" : "\(creditCost) credits" }
}
