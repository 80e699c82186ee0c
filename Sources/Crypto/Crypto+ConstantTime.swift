// Constant-time comparison for secrets (token digests, MACs, derived keys).
internal import COpenSSL

extension Crypto {
    /// Compares two byte strings in time that depends only on their lengths.
    ///
    /// Different lengths return `false` at once: lengths are not secret here
    /// (digests and keys have fixed sizes), contents are.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
            }
        }
    }
}
