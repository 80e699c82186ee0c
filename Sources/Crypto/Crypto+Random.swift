// Randomness from OpenSSL's CSPRNG, and the random tokens built from it.
internal import Codecs
internal import COpenSSL

extension Crypto {
    /// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`).
    ///
    /// Crashes if the CSPRNG cannot produce output: continuing with weak
    /// randomness would silently mint guessable session tokens and salts.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "randomBytes: negative count")
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        if ok != 1 { fatalError("RAND_bytes failed: the CSPRNG is unavailable") }
        return bytes
    }

    /// A random secret of `bytes` random bytes, base64url-encoded without padding
    /// (43 characters for the default 32 bytes). Used for session tokens and API key secrets.
    public static func randomToken(bytes: Int = 32) -> String {
        Base64URL.encode(randomBytes(bytes))
    }
}
