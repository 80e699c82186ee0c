// Makes the provider a `[provider.NAME]` section describes.

enum Providers {
    static func make(_ settings: ProviderSettings) -> any ImageProvider {
        switch settings.kind {
        case .a1111: A1111Provider(baseURL: settings.url, connectTimeout: settings.connectTimeout, timeout: settings.timeout)
        default: BuiltinProvider()
        }
    }
}
