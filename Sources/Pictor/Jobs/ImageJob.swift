// One job's work between claim and settlement: the provider draws, the answer is checked,
// upscaled if the model says so, marked as AI-generated, thumbnailed and written to storage. No database here: a job
// waiting seconds for its provider holds no PostgreSQL connection.

import Foundation
import Imaging

/// The files of a finished image, written but not yet published by the job's settlement.
struct StoredImage: Sendable {
    let imageKey: String
    let thumbKey: String
    let thumbLargeKey: String
    let contentType: String
    /// The stored image's true pixel size (twice the request's for an upscaled model).
    let width: Int
    let height: Int

    var keys: [String] { [imageKey, thumbKey, thumbLargeKey] }
}

struct ImageJob {
    let job: ClaimedJob
    /// Nil when the job's model is no longer configured.
    let model: ImageModel?
    let provider: (any ImageProvider)?
    let media: any MediaStorage
    /// The instance's name (`site.name`), which the images' provenance mark names.
    let site: String
    let deadline: Date

    /// Draws and stores the image. Files written before a failure are in `written`, for the
    /// caller to remove.
    func run(written: inout [String], onAccepted: @escaping @Sendable (String) -> Void) throws -> StoredImage {
        let generation = job.generation
        guard let model, let provider else {
            throw ProviderError(reason: "The model \(generation.model) is no longer offered. Your credits were returned.")
        }
        var request = ProviderRequest(
            prompt: generation.prompt, negativePrompt: generation.negativePrompt, providerModel: model.providerModel,
            width: generation.width, height: generation.height, seed: UInt32(truncatingIfNeeded: generation.seed),
            steps: model.defaultSteps, deadline: deadline)
        request.resumeJobID = job.providerJobID
        request.onAccepted = onAccepted
        request.requestID = job.requestID
        var bytes = try provider.generate(request)
        var (width, height, format) = try Self.check(bytes, width: generation.width, height: generation.height)
        if model.upscale {
            if let upscaled = try provider.upscale2x(bytes, request: request) {
                bytes = upscaled
                (width, height, format) = try Self.check(bytes, width: 2 * generation.width, height: 2 * generation.height)
            } else {
                let upscaled = try Thumbnailer.upscale2x(bytes)
                (bytes, width, height, format) = (upscaled.bytes, upscaled.width, upscaled.height, upscaled.fileExtension)
            }
        }
        let mark = Self.provenance(model: model, site: site)
        let marked = try Provenance.mark(bytes, with: mark)
        return try store(marked.bytes, format: format, width: width, height: height, mark: mark, written: &written)
    }

    /// What every file of the image says about its making (EU AI Act Art. 50(2)): a real
    /// provider's output is `trainedAlgorithmicMedia`, the builtin preview's `algorithmicMedia`.
    static func provenance(model: ImageModel, site: String, at date: Date = Date()) -> ProvenanceMark {
        // The offline preview names no model: a label such as "FLUX.1 schnell" would name an AI
        // model that did not draw the picture.
        ProvenanceMark(sourceType: model.isOfflinePreview ? .algorithmicMedia : .trainedAlgorithmicMedia,
                       creatorTool: "Pictor (\(site)) — " + (model.isOfflinePreview ? "offline preview generator, not AI" : model.label),
                       createdAt: date)
    }

    /// The answer must decode as an image of the requested size class: the same shape, and
    /// between half and twice the size (some services round sizes); anything else fails the
    /// job, so nobody is charged for a broken or wrong image.
    static func check(_ bytes: [UInt8], width: Int, height: Int) throws -> (Int, Int, String) {
        guard let header = try? Thumbnailer.inspect(bytes) else { throw ProviderError.notAnImage }
        let asked = Double(width) / Double(height), got = Double(header.width) / Double(header.height)
        let scale = Double(header.width) / Double(width)
        guard abs(got - asked) / asked <= 0.02, (0.5...2).contains(scale) else {
            throw ProviderError(reason: "The image service sent a \(header.width)×\(header.height) image for a \(width)×\(height) request. Your credits were returned.")
        }
        return (header.width, header.height, header.format)
    }

    private func store(_ bytes: [UInt8], format: String, width: Int, height: Int, mark: ProvenanceMark,
                       written: inout [String]) throws -> StoredImage {
        // Thumbnails drop the source's metadata (it may hold GPS positions); each gets the mark.
        let thumbnails = try Thumbnailer.thumbnails(of: bytes, longSides: [256, 512]).map { try Provenance.mark($0.bytes, with: mark) }
        let base = MediaKey.new()
        let (fileExtension, contentType) = Self.fileType(format)
        let stored = StoredImage(imageKey: "\(base).\(fileExtension)", thumbKey: "\(base)-256.\(thumbnails[0].fileExtension)",
                                 thumbLargeKey: "\(base)-512.\(thumbnails[1].fileExtension)", contentType: contentType,
                                 width: width, height: height)
        do {
            for (key, data) in zip(stored.keys, [bytes, thumbnails[0].bytes, thumbnails[1].bytes]) {
                try media.write(data, key: key, isPublic: job.generation.isPublic, contentType: MediaKey.contentType(of: key))
                written.append(key)
            }
        } catch {
            throw StorageFailure(underlying: error)
        }
        return stored
    }

    static func fileType(_ format: String) -> (String, String) {
        switch format.lowercased() {
        case "jpeg", "jpg": return ("jpg", "image/jpeg")
        case "webp": return ("webp", "image/webp")
        default: return ("png", "image/png")
        }
    }

    /// What the user is told; details stay in the log.
    static func publicReason(_ error: Error) -> String {
        switch error {
        case let provider as ProviderError: return provider.reason
        case is StorageFailure: return "The image could not be stored. Your credits were returned."
        case is ImagingError: return "The image could not be processed. Your credits were returned."
        default: return "The image could not be made. Your credits were returned."
        }
    }
}

struct StorageFailure: Error, CustomStringConvertible {
    let underlying: Error
    var description: String { "storage: \(underlying)" }
}
