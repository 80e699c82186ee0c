// Namespace for Pictor's OpenSSL-backed primitives: digests, HMAC, randomness, constant-time compare.

/// Cryptographic helpers backed by OpenSSL's libcrypto.
///
/// Everything here is stateless and safe to call from any thread.
public enum Crypto {}
