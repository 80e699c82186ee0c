// The interface every image provider implements, and the errors a job can fail with.

import Foundation

/// What a provider is asked to draw.
struct ProviderRequest: Sendable {
    let prompt: String
    let negativePrompt: String
    /// The model's name at the provider (`provider_model`), e.g. `flux-schnell` or `dall-e-3`.
    let providerModel: String
    let width: Int
    let height: Int
    let seed: UInt32
    let steps: Int
    /// When the whole job must be over: polling and retries stop here.
    let deadline: Date
    /// A provider-side job id saved by an earlier attempt (`generations.provider_job_id`):
    /// a provider that polls resumes it instead of paying for the image twice.
    var resumeJobID: String? = nil
    /// Called once a provider that polls has accepted the job, with its id, so the id is saved
    /// before the wait starts.
    var onAccepted: (@Sendable (String) -> Void)? = nil
    /// The X-Request-ID of the request that asked for the image, sent on with every call, so
    /// the provider's logs can be matched with Pictor's and nginx's.
    var requestID: String? = nil
}

/// Draws images: the offline builtin generator, or a remote API over HTTPClient.
/// Every method blocks the calling thread; one value may be used from many threads at once.
protocol ImageProvider: Sendable {
    /// The image's encoded bytes (PNG, JPEG or WebP). Throws `ProviderError` on failure.
    func generate(_ request: ProviderRequest) throws -> [UInt8]
    /// The image upscaled 2x by the provider's own upscaler, or nil when it has none (the
    /// job then resizes with MagickWand). Throws `ProviderError` on failure.
    func upscale2x(_ image: [UInt8], request: ProviderRequest) throws -> [UInt8]?
}

extension ImageProvider {
    func upscale2x(_ image: [UInt8], request: ProviderRequest) throws -> [UInt8]? { nil }
}

/// Why a provider call failed; `reason` becomes the generation's public `error`, so it is
/// short, says what happened to the credits, and never leaks keys or internal addresses.
struct ProviderError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }

    static let timedOut = ProviderError(reason: "The image service did not answer in time. Your credits were returned.")
    static let busy = ProviderError(reason: "The image service is busy. Your credits were returned.")
    static let notAnImage = ProviderError(reason: "The image service sent something that is not an image. Your credits were returned.")
    static func failed(_ detail: String) -> ProviderError {
        ProviderError(reason: "The image service failed (\(detail)). Your credits were returned.")
    }
}
