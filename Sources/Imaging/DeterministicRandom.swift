// A tiny seeded PRNG, so the builtin provider draws the same picture for the same request.

/// SplitMix64 seeded from an FNV-1a hash of the request. Hand-written rather than the standard
/// library's generators because `Double.random(in:using:)` may change its algorithm between
/// Swift releases, and a stored image must be reproducible from its prompt and seed.
struct DeterministicRandom {
    private var state: UInt64

    /// Seeds from byte strings; each is followed by a 0xFF separator (a byte UTF-8 never
    /// contains), so ("ab", "c") and ("a", "bc") seed differently.
    init(hashing parts: [[UInt8]]) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a offset basis
        for part in parts {
            for byte in part + [0xFF] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        state = hash
        // FNV-1a mixes its last bytes poorly; one SplitMix round spreads them over all 64 bits.
        state = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(0...items.count - 1)]
    }
}
