// Raw scrypt key derivation (RFC 7914) through OpenSSL's EVP_PBE_scrypt.
internal import COpenSSL

extension Crypto {
    /// Derives `length` bytes with scrypt, or `nil` when OpenSSL rejects the
    /// parameters (N not a power of two > 1, r*p too large, memory over budget).
    ///
    /// Internal: callers go through `PasswordHasher`, which fixes salt and key sizes.
    static func scrypt(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int) -> [UInt8]? {
        guard length > 0, let maxmem = scryptMemory(n: n, r: r, p: p) else { return nil }
        var key = [UInt8](repeating: 0, count: length)
        // EVP_PBE_scrypt needs non-null pointers even for empty inputs; the lengths still say 0.
        let passwordStorage = password.isEmpty ? [0] : password
        let saltStorage = salt.isEmpty ? [0] : salt
        let ok = passwordStorage.withUnsafeBufferPointer { pw in
            saltStorage.withUnsafeBufferPointer { s in
                key.withUnsafeMutableBufferPointer { out in
                    pw.withMemoryRebound(to: CChar.self) { pwChars in
                        EVP_PBE_scrypt(pwChars.baseAddress, password.count, s.baseAddress, salt.count,
                                       n, r, p, maxmem, out.baseAddress, out.count)
                    }
                }
            }
        }
        return ok == 1 ? key : nil
    }

    /// Memory budget for EVP_PBE_scrypt's `maxmem`: its own accounting is
    /// 128·r·(N+2) bytes for V plus 128·r·p for B, and the default cap (32 MiB)
    /// is too small for N = 2^15, r = 8. `nil` when that overflows.
    static func scryptMemory(n: UInt64, r: UInt64, p: UInt64) -> UInt64? {
        let (rBlock, o1) = r.multipliedReportingOverflow(by: 128)
        let (nPlus2, o2) = n.addingReportingOverflow(2)
        let (v, o3) = rBlock.multipliedReportingOverflow(by: nPlus2)
        let (b, o4) = rBlock.multipliedReportingOverflow(by: p)
        let (total, o5) = v.addingReportingOverflow(b)
        let (withSlack, o6) = total.addingReportingOverflow(1 << 20)
        if o1 || o2 || o3 || o4 || o5 || o6 { return nil }
        return withSlack
    }
}
