// Gallery tiles as rendered HTML, kept per worker process and reused while their generation
// is unchanged.

import Foundation
import Synchronization

/// A tile shows nothing but its own generation's row (and values fixed for the process, such
/// as the icon sprite's URL and the site's address), so its HTML can be made once and shown
/// again as long as the row is the same. And a gallery shows the same tiles over and over:
/// people reload it while their images finish, and page back and forth. A tile is reused only
/// if every field of the row equals the one it was made from, so a new status, a star or a
/// publish shows at once, in every worker.
final class TileCache: Sendable {
    private struct Entry {
        let generation: Generation
        let html: [UInt8]
    }

    /// About 3 KB each: a few megabytes per worker. When full it starts over, which costs
    /// one render per tile shown next, and never shows anything stale.
    static let capacity = 2048

    private let entries = Mutex<[UUID: Entry]>([:])

    /// The HTML of each generation's tile, in order; `render` makes the missing ones (all at
    /// once, in the order given).
    func tiles(for generations: [Generation], render: ([Generation]) -> [[UInt8]]) -> [[UInt8]] {
        // One lock for the lookups and one for the additions; rendering happens outside both.
        var tiles: [[UInt8]?] = entries.withLock { entries in
            generations.map { generation in
                entries[generation.id].flatMap { $0.generation == generation ? $0.html : nil }
            }
        }
        let missing = generations.indices.filter { tiles[$0] == nil }
        var made: [Entry] = []
        for (index, html) in zip(missing, render(missing.map { generations[$0] })) {
            tiles[index] = html
            made.append(Entry(generation: generations[index], html: html))
        }
        if !made.isEmpty {
            entries.withLock { entries in
                if entries.count + made.count > Self.capacity { entries.removeAll(keepingCapacity: true) }
                for entry in made { entries[entry.generation.id] = entry }
            }
        }
        return tiles.map { $0! }
    }
}
