// Images in a local directory: public ones where nginx serves them at /media/, private ones
// where nginx serves them through X-Accel-Redirect after Pictor checked the owner, or at links
// it checks itself (SignedMediaLink).

import Codecs
import Crypto
import Foundation

/// Stores generated images under unguessable names, in `public/` (nginx: /media/) or
/// `private/` (nginx: internal /protected-media/, and signed /private-media/ links). A file
/// appears under its final name only when complete (temp file + fsync + rename), so a crash
/// never leaves a half image behind a URL; publishing moves files between the two with rename,
/// which is atomic too (and ends the signed links to the old place at once).
public struct LocalMediaStore: MediaStorage {
    public let root: String
    /// Signs the links pages show private files at (nil: no `link_secret`, pages use the pool route).
    let links: SignedMediaLink?

    public init(root: String) { self.init(root: root, links: nil) }

    init(root: String, links: SignedMediaLink?) {
        self.root = root
        self.links = links
    }

    func path(for key: String, isPublic: Bool) -> String { root + (isPublic ? "/public/" : "/private/") + key }

    /// The URL nginx serves a public file at.
    func publicURL(for key: String) -> String { "/media/" + key }

    /// The internal nginx location Pictor hands a private file to (X-Accel-Redirect).
    static func protectedURI(for key: String) -> String { "/protected-media/" + key }

    /// nginx sends the bytes either way; the internal location is reachable only this way.
    func reply(for key: String, isPublic: Bool) -> Reply {
        .accel(isPublic ? publicURL(for: key) : Self.protectedURI(for: key))
    }

    /// A link nginx checks itself (secure_link) and answers from `private/`, when a secret is set.
    func signedLink(for key: String, expires: Int) -> String? { links?.url(for: key, expires: expires) }

    /// Writes `bytes` under `key` atomically (the type is nginx's to tell, from the extension).
    func write(_ bytes: [UInt8], key: String, isPublic: Bool, contentType: String) throws {
        let final = path(for: key, isPublic: isPublic)
        let directory = (final as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.tmp-" + Hex.encode(Crypto.randomBytes(8))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MediaError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                close(fd)
                unlink(temporary)
                throw MediaError("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, final) == 0 else {
            unlink(temporary)
            throw MediaError("cannot store \(final): \(String(cString: strerror(errno)))")
        }
    }

    /// Puts each file on the side the row says (`isPublic`): the one way a file's location
    /// follows its row. A file already there is left alone (a retried publish is harmless);
    /// one on the other side is moved (rename: atomic). Returns the keys found on neither
    /// side, for the caller to report: a missing image is never silently ignored.
    func place(_ keys: [String?], isPublic: Bool) throws -> [String] {
        var missing: [String] = []
        for key in keys.compactMap({ $0 }) {
            let target = path(for: key, isPublic: isPublic)
            if access(target, F_OK) == 0 { continue }
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            if rename(path(for: key, isPublic: !isPublic), target) != 0 {
                guard errno == ENOENT else { throw MediaError("cannot move \(key): \(String(cString: strerror(errno)))") }
                // Moved by someone else meanwhile, or gone.
                if access(target, F_OK) != 0 { missing.append(key) }
            }
        }
        return missing
    }

    /// Moves public files to new names on the private side (unpublishing): the old public URLs,
    /// and any copy a cache keeps under them, then lead nowhere on this site. A file already
    /// moved is left alone; one found nowhere is returned for the caller to report. On any other
    /// failure the files moved so far go back, so nothing changes.
    func unpublish(_ moves: [(from: String, to: String)]) throws -> [String] {
        var missing: [String] = [], done: [(from: String, to: String)] = []
        for move in moves {
            let target = path(for: move.to, isPublic: false)
            if access(target, F_OK) == 0 { continue }
            do {
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
            } catch {
                undo(done)
                throw error
            }
            let sources = [path(for: move.from, isPublic: true), path(for: move.from, isPublic: false)]
            if rename(sources[0], target) == 0 || (errno == ENOENT && rename(sources[1], target) == 0) {
                done.append(move)
            } else if errno == ENOENT {
                missing.append(move.from)
            } else {
                let reason = String(cString: strerror(errno))
                undo(done)
                throw MediaError("cannot move \(move.from): \(reason)")
            }
        }
        return missing
    }

    private func undo(_ moves: [(from: String, to: String)]) {
        for move in moves { rename(path(for: move.to, isPublic: false), path(for: move.from, isPublic: true)) }
    }

    func read(_ key: String, isPublic: Bool) throws -> [UInt8]? {
        FileManager.default.contents(atPath: path(for: key, isPublic: isPublic)).map { Array($0) }
    }

    /// Removes the files from both sides; missing ones are fine (deleting twice is not an error).
    func delete(_ keys: [String?]) {
        for key in keys.compactMap({ $0 }) {
            unlink(path(for: key, isPublic: true))
            unlink(path(for: key, isPublic: false))
        }
    }
}

