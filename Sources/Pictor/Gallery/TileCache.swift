// Gallery tiles as rendered HTML, kept per worker process and reused while their row is
// unchanged.

import Foundation
import Postgres
import Synchronization

/// A tile shows nothing but its own generation's row (and values fixed for the process, such
/// as the icon sprite's URL and the site's address, and its signed image links, fixed for an
/// hour: SignedMediaLink), so its HTML can be made once and shown again as long as the row and
/// the links' expiry are the same. And a gallery shows the same tiles over and over:
/// people reload it while their images finish, and page back and forth. Tiles are found by
/// the row's raw bytes, compared whole before anything is decoded: a new status, a star or a
/// publish is a different row, shown at once in every worker.
final class TileCache: Sendable {
    /// About 3 KB each: a few megabytes per worker. When full it starts over, which costs
    /// one render per tile shown next, and never shows anything stale.
    static let capacity = 2048

    /// The tiles, and the expiry of the signed links in them: all the same, as every page made
    /// within one window links with the same expiry.
    private let entries = Mutex<(linksExpire: Int, tiles: [RowKey: [UInt8]])>((0, [:]))

    /// A row's raw values, hashed and compared as whole byte runs (an array of bytes as a
    /// dictionary key would be hashed one byte at a time).
    private struct RowKey: Hashable, Sendable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }

        static func == (a: RowKey, b: RowKey) -> Bool {
            a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { x in
                b.bytes.withUnsafeBytes { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
            }
        }
    }

    /// The HTML of each row's tile, in order; `render` makes the missing ones (all at once, in
    /// the order given) with links that expire at `linksExpire`. A new expiry starts the cache
    /// over (once an hour), so no tile ever links with an older one.
    func tiles(for rows: [Row], linksExpire: Int, render: ([Row]) throws -> [[UInt8]]) rethrows -> [[UInt8]] {
        let keys = rows.map { row -> RowKey in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(512)
            row.appendRawValues(to: &bytes)
            return RowKey(bytes: bytes)
        }
        // One lock for the lookups and one for the additions; rendering happens outside both.
        var tiles: [[UInt8]?] = entries.withLock { entries in
            entries.linksExpire == linksExpire ? keys.map { entries.tiles[$0] } : keys.map { _ in nil }
        }
        let missing = rows.indices.filter { tiles[$0] == nil }
        guard !missing.isEmpty else { return tiles.map { $0! } }
        let made = try render(missing.map { rows[$0] })
        for (index, html) in zip(missing, made) { tiles[index] = html }
        entries.withLock { entries in
            // A page that began just before the window turned must not bring old links back.
            guard linksExpire >= entries.linksExpire else { return }
            if linksExpire > entries.linksExpire || entries.tiles.count + missing.count > Self.capacity {
                entries.tiles.removeAll(keepingCapacity: true)
                entries.linksExpire = linksExpire
            }
            for (index, html) in zip(missing, made) { entries.tiles[keys[index]] = html }
        }
        return tiles.map { $0! }
    }
}
