// Values the app's unit tests build views and payloads from.

import Foundation
@testable import Pictor

enum Samples {
    static let created = Date(timeIntervalSince1970: 1_795_595_460)   // 2026-11-25 08:31 UTC

    static func generation(status: Generation.Status = .succeeded, isPublic: Bool = false, error: String? = nil,
                           negativePrompt: String = "") -> Generation {
        let id = UUID(uuidString: "0a1b2c3d-0000-4000-8000-00000000abcd")!
        let done = status == .succeeded
        return Generation(
            id: id, idString: id.uuidString.lowercased(), userID: 7, batchID: id, status: status,
            prompt: "a lighthouse <at> dusk", negativePrompt: negativePrompt, model: "flux-schnell", provider: "builtin",
            width: 1024, height: 768, seed: 42, creditCost: 1, isPublic: isPublic, favorite: false,
            imageKey: done ? "ab/abcdef.png" : nil, thumbKey: done ? "ab/abcdef-256.webp" : nil,
            thumbLargeKey: done ? "ab/abcdef-512.webp" : nil, error: error, imageWidth: done ? 1024 : nil,
            imageHeight: done ? 768 : nil, createdAt: created,
            completedAt: status == .queued || status == .running ? nil : created.addingTimeInterval(3))
    }
}
