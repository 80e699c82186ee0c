// Makes the provider a `[provider.NAME]` section describes.

enum Providers {
    static func make(_ settings: ProviderSettings) -> any ImageProvider {
        switch settings.kind {
        case .builtin: BuiltinProvider()
        case .pixelapi: PixelAPIProvider(settings: settings)
        case .openai: OpenAIImagesProvider(settings: settings)
        case .a1111: A1111Provider(settings: settings)
        }
    }
}
