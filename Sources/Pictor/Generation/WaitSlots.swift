// How many request threads of a worker may sit in `Prefer: wait` at once.

import Synchronization

/// A thread waiting for a generation (`Prefer: wait=N`, up to a minute) serves no one else,
/// so at most half of a worker's threads may wait at a time: API clients that wait can never
/// take every thread from the pages. A request that finds no free slot is answered at once
/// with 202, as if it had not asked to wait (a preference a server may decline, RFC 7240).
final class WaitSlots: Sendable {
    let limit: Int
    private let taken = Atomic<Int>(0)

    init(threads: Int) {
        limit = max(1, threads / 2)
    }

    /// Runs `body` holding a slot; nil without running it if all are taken.
    func withSlot<T>(_ body: () throws -> T) rethrows -> T? {
        let before = taken.wrappingAdd(1, ordering: .acquiring).oldValue
        defer { taken.wrappingSubtract(1, ordering: .releasing) }
        guard before < limit else { return nil }
        return try body()
    }
}
