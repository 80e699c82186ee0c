// The `builtin` provider: no network, no key; MagickWand draws an abstract preview image.

import Imaging

struct BuiltinProvider: ImageProvider {
    func generate(_ request: ProviderRequest) throws -> [UInt8] {
        do {
            return try BuiltinGenerator.draw(prompt: request.prompt, negativePrompt: request.negativePrompt,
                                             seed: request.seed, width: request.width, height: request.height).bytes
        } catch let error as ImagingError {
            throw ProviderError.failed(error.message)
        }
    }
}
