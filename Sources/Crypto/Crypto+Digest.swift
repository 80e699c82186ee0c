// SHA-256, HMAC-SHA256 and MD5 through OpenSSL's one-shot EVP/HMAC APIs.
internal import COpenSSL

extension Crypto {
    /// SHA-256 digest of `data` (32 bytes).
    public static func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // Only fails on allocation failure inside OpenSSL; there is nothing sensible to return instead.
        precondition(ok == 1 && length == SHA256_DIGEST_LENGTH, "EVP_Digest(SHA-256) failed")
        return digest
    }

    /// SHA-256 digest of the UTF-8 bytes of `string` (32 bytes).
    public static func sha256(_ string: String) -> [UInt8] {
        sha256(Array(string.utf8))
    }

    /// MD5 digest of `data` (16 bytes). Broken for collisions: only for formats that demand it,
    /// such as the signatures nginx's `secure_link_md5` checks, where the secret is part of the
    /// hashed text and forging one means finding a preimage.
    public static func md5(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_md5(), nil)
            }
        }
        precondition(ok == 1 && length == 16, "EVP_Digest(MD5) failed")
        return digest
    }

    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        // HMAC() needs a non-null key pointer even for an empty key; the length still says 0.
        let keyStorage = key.isEmpty ? [0] : key
        let result = keyStorage.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                mac.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(key.count), m.baseAddress, m.count, out.baseAddress, &length)
                }
            }
        }
        precondition(result != nil && length == SHA256_DIGEST_LENGTH, "HMAC(SHA-256) failed")
        return mac
    }
}
