// Where generated images are kept: the operations every storage backend offers, and the keys.

import Codecs
import Crypto
import Foundation
import Logging

/// A place for image files, each under an unguessable key on one of two sides: public (anyone
/// with the URL may fetch it) or private (only through Pictor, after an owner check). The row's
/// `public` flag says which side a file belongs on; `place` and `unpublish` make it so.
protocol MediaStorage: Sendable {
    /// Stores `bytes` under `key`; a reader never sees a partly written file.
    func write(_ bytes: [UInt8], key: String, isPublic: Bool, contentType: String) throws

    /// Puts each file on the side `isPublic` says, moving it if it is on the other one; a file
    /// already there is left alone (a retried publish is harmless). Returns the keys found on
    /// neither side, for the caller to report.
    func place(_ keys: [String?], isPublic: Bool) throws -> [String]

    /// Moves public files to fresh private keys, so the old public URLs (and what caches keep
    /// under them) lead nowhere. On failure nothing changes; keys found nowhere are returned.
    func unpublish(_ moves: [(from: String, to: String)]) throws -> [String]

    /// Removes the files from both sides; missing ones are fine (deleting twice is not an error).
    func delete(_ keys: [String?])

    /// The bytes of a stored file, or nil if there is none (tests, data export).
    func read(_ key: String, isPublic: Bool) throws -> [UInt8]?

    /// The URL a public file is linked at in pages and API answers.
    func publicURL(for key: String) -> String

    /// How a file is handed to a viewer Pictor already checked: nginx sends it (local), or the
    /// viewer is sent to the public URL or to a short-lived signed one (S3).
    func reply(for key: String, isPublic: Bool) throws -> Reply

    /// A URL a page may show a private file at, to its owner, that works until `expires` (Unix
    /// seconds) without another request to Pictor; nil when the storage has none (the page then
    /// links the owner-checked route).
    func signedLink(for key: String, expires: Int) -> String?
}

/// How one page links images: made once per request, so all of a page's signed links (and the
/// tiles the gallery's cache keeps from it) share one expiry and one URL per image.
struct PageMediaLinks: Sendable {
    let media: any MediaStorage
    /// When the page's signed links stop working (Unix seconds; SignedMediaLink.expiry).
    let expires: Int

    init(media: any MediaStorage, now: Date = Date()) {
        self.media = media
        expires = SignedMediaLink.expiry(at: now)
    }
}

/// Unguessable file names.
enum MediaKey {
    /// A fresh key such as `3f/3f9c…e1`; the caller adds a suffix and extension.
    static func new() -> String {
        let name = Hex.encode(Crypto.randomBytes(16))
        return String(name.prefix(2)) + "/" + name
    }

    /// The same files under one fresh unguessable base name, each keeping what follows the old
    /// name's 32 hex digits (`-256.webp`, `.png`).
    static func renamed(_ keys: [String?]) -> [String?] {
        let base = new()
        return keys.map { key in
            key.map { base + String(($0.split(separator: "/").last ?? Substring($0)).dropFirst(32)) }
        }
    }

    /// The media type a stored file is served with, from its key's extension.
    static func contentType(of key: String) -> String {
        switch key.split(separator: ".").last?.lowercased() {
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "webp": return "image/webp"
        case "gif": return "image/gif"
        default: return "application/octet-stream"
        }
    }
}

/// The storage the config names: the local directory (default) or an S3-compatible bucket.
func makeMediaStorage(_ config: Config, logger: Logger) -> any MediaStorage {
    switch config.storage.backend {
    case .local: return LocalMediaStore(root: config.paths.media, links: config.storage.linkSecret.map(SignedMediaLink.init))
    case .s3: return S3MediaStore(settings: config.storage, logger: logger)
    }
}

struct MediaError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
