// The interface every image provider implements, and the errors a job can fail with.

/// What a provider is asked to draw.
struct ProviderRequest: Sendable {
    let prompt: String
    let negativePrompt: String
    let model: String
    let width: Int
    let height: Int
    let seed: UInt32
    let steps: Int
}

/// Draws images: the offline builtin generator, or a remote API over HTTPClient.
protocol ImageProvider: Sendable {
    /// The image's encoded bytes (PNG, JPEG or WebP). Throws `ProviderError` on failure.
    func generate(_ request: ProviderRequest) throws -> [UInt8]
}

/// Why a provider call failed; `reason` becomes the generation's public `error`, so it is
/// short and never leaks keys or internal addresses.
struct ProviderError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }

    static let timedOut = ProviderError(reason: "The image provider did not answer in time.")
    static func failed(_ detail: String) -> ProviderError { ProviderError(reason: "The image provider failed: \(detail)") }
}
