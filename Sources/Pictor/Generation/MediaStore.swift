// Where image files live: a local directory nginx serves at /media/, written atomically.

import Crypto
import Foundation

/// Stores generated images under unguessable names. A file appears under its final name
/// only when complete (temp file + fsync + rename), so a crash never leaves a half image
/// behind a URL.
public struct MediaStore: Sendable {
    /// The media root; public files go to `public/` (served by nginx at /media/).
    public let root: String

    public init(root: String) { self.root = root }

    /// A fresh key such as `3f/3f9c…e1`; the caller adds a suffix and extension.
    static func newKey() -> String {
        let name = Crypto.hex(Crypto.randomBytes(16))
        return String(name.prefix(2)) + "/" + name
    }

    func path(for key: String) -> String { root + "/public/" + key }

    func url(for key: String) -> String { "/media/" + key }

    /// Writes `bytes` under `key` atomically.
    func write(_ bytes: [UInt8], key: String) throws {
        let final = path(for: key)
        let directory = (final as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/.tmp-" + Crypto.hex(Crypto.randomBytes(8))
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

    /// Removes the files; missing ones are fine (deleting twice is not an error).
    func delete(_ keys: [String?]) {
        for key in keys.compactMap({ $0 }) { unlink(path(for: key)) }
    }
}

struct MediaError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
