// Gallery tiles as rendered HTML, kept per worker process and reused while their row is
// unchanged.

import Foundation
import Postgres
import Synchronization

/// A tile shows nothing but its own generation's row (and values fixed for the process, such
/// as the icon sprite's URL and the site's address), so its HTML can be made once and shown
/// again as long as the row is the same. And a gallery shows the same tiles over and over:
/// people reload it while their images finish, and page back and forth. Tiles are found by
/// the row's raw bytes, compared whole before anything is decoded: a new status, a star or a
/// publish is a different row, shown at once in every worker.
final class TileCache: Sendable {
    /// About 3 KB each: a few megabytes per worker. When full it starts over, which costs
    /// one render per tile shown next, and never shows anything stale.
    static let capacity = 2048

    private let entries = Mutex<[RowKey: [UInt8]]>([:])

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
    /// the order given).
    func tiles(for rows: [Row], render: ([Row]) throws -> [[UInt8]]) rethrows -> [[UInt8]] {
        let keys = rows.map { row -> RowKey in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(512)
            row.appendRawValues(to: &bytes)
            return RowKey(bytes: bytes)
        }
        // One lock for the lookups and one for the additions; rendering happens outside both.
        var tiles: [[UInt8]?] = entries.withLock { entries in keys.map { entries[$0] } }
        let missing = rows.indices.filter { tiles[$0] == nil }
        guard !missing.isEmpty else { return tiles.map { $0! } }
        let made = try render(missing.map { rows[$0] })
        for (index, html) in zip(missing, made) { tiles[index] = html }
        entries.withLock { entries in
            if entries.count + missing.count > Self.capacity { entries.removeAll(keepingCapacity: true) }
            for (index, html) in zip(missing, made) { entries[keys[index]] = html }
        }
        return tiles.map { $0! }
    }
}
