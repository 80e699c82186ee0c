// A `[provider.NAME]` section of the config file, resolved: where the provider is, its key,
// its timeouts and how many calls to it may be in flight.

/// The APIs Pictor can call. A section's `type` names one; it defaults to the section's name
/// (`[provider.pixelapi]` is a PixelAPI provider), so two OpenAI-compatible servers can sit
/// side by side as `[provider.openai]` and `[provider.localai]` with `type = openai`.
public enum ProviderKind: String, Sendable, CaseIterable {
    /// Offline MagickWand drawings; needs no section, no URL and no key.
    case builtin
    /// PixelAPI REST: submit, poll, download.
    case pixelapi
    /// Any OpenAI-compatible Images API (`POST /v1/images/generations`).
    case openai
    /// AUTOMATIC1111 / SD.Next / Forge (`POST /sdapi/v1/txt2img`).
    case a1111

    /// The base URL used when the section gives none (self-hosted servers have no default).
    var defaultURL: String? {
        switch self {
        case .pixelapi: "https://api.pixelapi.dev"
        case .openai: "https://api.openai.com"
        case .builtin, .a1111: nil
        }
    }

    /// Whether calls to `url` need a key: the hosted services do; a self-hosted OpenAI-compatible
    /// server (LocalAI, stable-diffusion.cpp) or an A1111 box usually takes none.
    func needsKey(at url: String) -> Bool { self == .pixelapi || (self == .openai && url == defaultURL) }
}

/// One configured provider.
public struct ProviderSettings: Sendable {
    /// The section name (`[provider.NAME]`), which models refer to with `provider = NAME`.
    public var name: String
    public var kind: ProviderKind
    /// Base URL without a trailing slash, e.g. `https://api.openai.com`.
    public var url: String
    /// The secret API key (Bearer). Never logged, never shown.
    public var key: String?
    /// Seconds to establish a connection.
    public var connectTimeout = 10.0
    /// Seconds one HTTP call (request and whole answer) may take.
    public var timeout = 120.0
    /// Calls one `pictor worker` process keeps in flight at most.
    public var concurrency = 16
    /// Largest answer (JSON or image) accepted, in bytes.
    public var maxResponseBytes = 50 << 20
    /// Seconds before the first poll of a submitted job (PixelAPI); later polls back off.
    public var pollInterval = 1.0

    public init(name: String, kind: ProviderKind, url: String, key: String? = nil) {
        self.name = name
        self.kind = kind
        self.url = url
        self.key = key
    }

    /// The offline provider every config has.
    public static let builtin = ProviderSettings(name: "builtin", kind: .builtin, url: "")
}
