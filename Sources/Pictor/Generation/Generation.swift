// A generation: one image, and the job that makes it.

import Foundation
import Postgres

public struct Generation: Sendable {
    public enum Status: String, Sendable {
        case queued, running, succeeded, failed

        /// How pages say it (the API keeps the raw values).
        var label: String {
            switch self {
            case .queued: "Waiting"
            case .running: "Being drawn"
            case .succeeded: "Ready"
            case .failed: "Failed"
            }
        }
    }

    public let id: UUID
    /// The id as URLs and JSON show it (lowercase canonical), made once per row.
    public let idString: String
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
    /// The stored image's pixel size once it exists (twice width × height for an upscaled model).
    public let imageWidth: Int?
    public let imageHeight: Int?
    public let createdAt: Date
    public let completedAt: Date?

    static let columns = """
        g.id, g.user_id, g.batch_id, g.status, g.prompt, g.negative_prompt, g.model, g.provider, g.width, g.height,
        g.seed, g.credit_cost, g.public, g.favorite, g.image_key, g.thumb_key, g.thumb_large_key, g.error,
        g.image_width, g.image_height, g.created_at, g.completed_at
        """


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
        // The key's extension ("ab/cdef….png" → "png"), found on bytes: this runs for every tile.
        var fileExtension = Substring()
        if let key = imageKey, let dot = key.utf8.lastIndex(of: UInt8(ascii: ".")),
           !key.utf8[dot...].contains(UInt8(ascii: "/")) {
            fileExtension = key[key.utf8.index(after: dot)...]
        }
        var name = "pictor-"
        name.reserveCapacity(16 + fileExtension.utf8.count)
        name += idString.prefix(8)
        name += "."
        name += fileExtension
        return name
    }

    /// Public files are linked where the storage serves them (nginx's /media/, a CDN); private
    /// ones go through /generations/{id}/{file}, where Pictor checks the owner first. What the
    /// API answers with: its clients keep these URLs, so they must not expire.
    func url(_ file: File, in media: any MediaStorage) -> String? {
        guard let key = key(file) else { return nil }
        return isPublic ? media.publicURL(for: key) : ownerCheckedURL(file)
    }

    /// Where a page shows `file`. Pages show a private image only to its owner (the stores'
    /// `findVisible`, the gallery's owner-only list), so they may hand out the storage's signed
    /// link, which nginx answers without a request to Pictor; without one, the owner-checked route.
    func pageURL(_ file: File, links: PageMediaLinks) -> String? {
        guard let key = key(file) else { return nil }
        if isPublic { return links.media.publicURL(for: key) }
        return links.media.signedLink(for: key, expires: links.expires) ?? ownerCheckedURL(file)
    }

    private func ownerCheckedURL(_ file: File) -> String { "/generations/" + idString + "/" + file.rawValue }
}

extension Generation {
    /// A row selected with `columns` (in an extension, so tests keep the memberwise init).
    init(row: Row) throws {
        idString = try row.get("id")
        id = try UUID(postgresText: idString)
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
        imageWidth = try row.get("image_width")
        imageHeight = try row.get("image_height")
        createdAt = try row.get("created_at")
        completedAt = try row.get("completed_at")
    }
}
