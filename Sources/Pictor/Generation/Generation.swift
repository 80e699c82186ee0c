// A generation (one image, and the job that makes it) and its JSON form.

import Foundation
import Postgres

public struct Generation: Sendable {
    public enum Status: String, Sendable { case queued, running, succeeded, failed }

    public let id: UUID
    public let userID: Int64
    public let batchID: UUID
    public let status: Status
    public let prompt: String
    public let negativePrompt: String
    public let model: String
    public let provider: String
    public let width: Int
    public let height: Int
    public let seed: Int64
    public let creditCost: Int
    public let isPublic: Bool
    public let favorite: Bool
    public let imageKey: String?
    public let thumbKey: String?
    public let thumbLargeKey: String?
    public let error: String?
    public let createdAt: Date
    public let completedAt: Date?

    static let columns = """
        g.id, g.user_id, g.batch_id, g.status, g.prompt, g.negative_prompt, g.model, g.provider, g.width, g.height,
        g.seed, g.credit_cost, g.public, g.favorite, g.image_key, g.thumb_key, g.thumb_large_key, g.error,
        g.created_at, g.completed_at
        """

    init(row: Row) throws {
        id = try row.get("id")
        userID = try row.get("user_id")
        batchID = try row.get("batch_id")
        status = Status(rawValue: try row.get("status")) ?? .failed
        prompt = try row.get("prompt")
        negativePrompt = try row.get("negative_prompt")
        model = try row.get("model")
        provider = try row.get("provider")
        width = try row.get("width")
        height = try row.get("height")
        seed = try row.get("seed")
        creditCost = try row.get("credit_cost")
        isPublic = try row.get("public")
        favorite = try row.get("favorite")
        imageKey = try row.get("image_key")
        thumbKey = try row.get("thumb_key")
        thumbLargeKey = try row.get("thumb_large_key")
        error = try row.get("error")
        createdAt = try row.get("created_at")
        completedAt = try row.get("completed_at")
    }

    var isFinished: Bool { status == .succeeded || status == .failed }

    /// The stored files of a generation.
    enum File: String, CaseIterable {
        case image, thumbnail
        case thumbnailLarge = "thumbnail-large"
    }

    func key(_ file: File) -> String? {
        switch file {
        case .image: return imageKey
        case .thumbnail: return thumbKey
        case .thumbnailLarge: return thumbLargeKey
        }
    }

    var fileKeys: [String?] { File.allCases.map(key) }

    /// What a downloaded original is saved as: "pictor-1a2b3c4d.png".
    var downloadName: String {
        "pictor-\(id.uuidString.lowercased().prefix(8)).\(((imageKey ?? "") as NSString).pathExtension)"
    }

    /// Public files are nginx's to serve at /media/; private ones go through
    /// /generations/{id}/{file}, where Pictor checks the owner first.
    func url(_ file: File) -> String? {
        guard let key = key(file) else { return nil }
        return isPublic ? MediaStore.publicURL(for: key) : "/generations/\(id.uuidString.lowercased())/\(file.rawValue)"
    }

    /// The API's generation object (RFC 3339 UTC times, null for what is not there yet).
    func json() -> [String: Any] {
        [
            "id": id.uuidString.lowercased(),
            "status": status.rawValue,
            "prompt": prompt,
            "negative_prompt": negativePrompt,
            "model": model,
            "width": width,
            "height": height,
            "seed": seed,
            "credit_cost": creditCost,
            "image_url": orNull(url(.image)),
            "thumbnail_url": orNull(url(.thumbnail)),
            "thumbnail_large_url": orNull(url(.thumbnailLarge)),
            "public": isPublic,
            "favorite": favorite,
            "error": orNull(error),
            "created_at": RFC3339.string(createdAt),
            "completed_at": orNull(completedAt.map(RFC3339.string)),
        ]
    }
}

enum RFC3339 {
    /// "2026-11-25T08:41:02Z" (seconds precision, UTC).
    static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
