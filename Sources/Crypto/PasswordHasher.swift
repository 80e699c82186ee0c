// Password storage with scrypt in a self-describing string, so parameters can be raised later.
internal import Codecs

/// Hashes and verifies passwords with scrypt.
///
/// Stored form: `scrypt$N$r$p$<salt base64>$<key base64>` (standard base64,
/// padded), with a 16-byte random salt and a 32-byte derived key. Verification
/// uses the parameters recorded in the string, so hashes made with older
/// settings keep working; `needsRehash` tells when to upgrade one at login.
public struct PasswordHasher: Sendable {
    /// CPU/memory cost: a power of two greater than 1.
    public let n: UInt64
    /// Block size factor.
    public let r: UInt64
    /// Parallelisation factor.
    public let p: UInt64

    static let saltLength = 16
    static let keyLength = 32

    /// Upper bounds accepted when verifying, so a corrupted or hostile stored
    /// string cannot make one login allocate gigabytes or run for minutes.
    static let maxN: UInt64 = 1 << 20
    static let maxR: UInt64 = 32
    static let maxP: UInt64 = 16

    /// Creates a hasher. The defaults (N = 2^14, r = 8, p = 1, 16 MiB) take
    /// about 50 ms per hash on the 2-core reference machine.
    public init(n: UInt64 = 1 << 14, r: UInt64 = 8, p: UInt64 = 1) {
        precondition(n > 1 && n & (n - 1) == 0, "scrypt N must be a power of two greater than 1")
        precondition(r >= 1 && p >= 1, "scrypt r and p must be at least 1")
        self.n = n
        self.r = r
        self.p = p
    }

    /// Hashes `password` with a fresh random salt into the self-describing stored form.
    public func hash(_ password: String) -> String {
        let salt = Crypto.randomBytes(Self.saltLength)
        guard let key = Crypto.scrypt(password: Array(password.utf8), salt: salt,
                                      n: n, r: r, p: p, length: Self.keyLength) else {
            fatalError("EVP_PBE_scrypt failed for N=\(n) r=\(r) p=\(p)")
        }
        return "scrypt$\(n)$\(r)$\(p)$\(Base64.encode(salt))$\(Base64.encode(key))"
    }

    /// Whether `password` matches `stored`, using the parameters recorded in `stored`.
    /// Malformed or out-of-bounds stored strings give `false`.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Stored(stored),
              let key = Crypto.scrypt(password: Array(password.utf8), salt: parsed.salt,
                                      n: parsed.n, r: parsed.r, p: parsed.p, length: parsed.key.count)
        else { return false }
        return Crypto.constantTimeEquals(key, parsed.key)
    }

    /// Whether `stored` should be replaced by a fresh `hash` of the same password:
    /// it is malformed, or any of its parameters is weaker than this hasher's.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = Stored(stored) else { return true }
        return parsed.n < n || parsed.r < r || parsed.p < p
            || parsed.salt.count < Self.saltLength || parsed.key.count < Self.keyLength
    }

    /// A parsed, bounds-checked stored hash.
    struct Stored {
        let n: UInt64, r: UInt64, p: UInt64
        let salt: [UInt8], key: [UInt8]

        init?(_ string: String) {
            let parts = string.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 6, parts[0] == "scrypt",
                  let n = Self.number(parts[1]), let r = Self.number(parts[2]), let p = Self.number(parts[3]),
                  n > 1, n & (n - 1) == 0, n <= PasswordHasher.maxN,
                  (1...PasswordHasher.maxR).contains(r), (1...PasswordHasher.maxP).contains(p),
                  let salt = Base64.decode(String(parts[4])), !salt.isEmpty,
                  let key = Base64.decode(String(parts[5])), (16...64).contains(key.count)
            else { return nil }
            (self.n, self.r, self.p, self.salt, self.key) = (n, r, p, salt, key)
        }

        /// Plain decimal digits only: no sign, no whitespace, no leading zeros.
        private static func number(_ s: Substring) -> UInt64? {
            guard let first = s.utf8.first, first != UInt8(ascii: "0"),
                  s.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else { return nil }
            return UInt64(s)
        }
    }
}
