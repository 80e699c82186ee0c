// Base64 in its two RFC 4648 alphabets: standard (padded) and URL-safe (unpadded).

/// Standard base64 (RFC 4648 §4): `+` and `/`, padded with `=`. Used for stored password hashes
/// and for images that providers return as base64.
public enum Base64 {
    /// `bytes` in standard base64, padded to a multiple of four characters.
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64Codec.encode(bytes, alphabet: Base64Codec.standard, pad: true)
    }

    /// Decodes standard base64. Padding may be left out, but if present it must complete the
    /// last group; any other character, an impossible length or non-zero spare bits give `nil`.
    public static func decode(_ text: String) -> [UInt8]? {
        Base64Codec.decode(text, urlSafe: false)
    }
}

/// URL-safe base64 (RFC 4648 §5): `-` and `_`, no padding, so the text can go into cookies,
/// URLs and headers unescaped. Used for session tokens and API key secrets.
public enum Base64URL {
    /// `bytes` in URL-safe base64 without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Base64Codec.encode(bytes, alphabet: Base64Codec.url, pad: false)
    }

    /// Decodes URL-safe base64, with or without padding; `nil` when malformed (the same rules
    /// as `Base64.decode`, including refusing the standard alphabet's `+` and `/`).
    public static func decode(_ text: String) -> [UInt8]? {
        Base64Codec.decode(text, urlSafe: true)
    }
}

/// The work behind both alphabets.
enum Base64Codec {
    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        switch bytes.count - i {
        case 1:
            let n = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            if pad { out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        case 2:
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            if pad { out.append(UInt8(ascii: "=")) }
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String, urlSafe: Bool) -> [UInt8]? {
        var chars = Array(text.utf8)
        // Padding is optional, but when present it must complete the last group of four.
        if chars.last == UInt8(ascii: "=") {
            guard chars.count % 4 == 0 else { return nil }
            chars.removeLast()
            if chars.last == UInt8(ascii: "=") { chars.removeLast() }
        }
        // One character of a group carries only 6 bits: never a whole byte.
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let v = sextet(c, urlSafe: urlSafe) else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, so each byte string has exactly one encoding.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    private static func sextet(_ c: UInt8, urlSafe: Bool) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where !urlSafe, UInt8(ascii: "-") where urlSafe: return 62
        case UInt8(ascii: "/") where !urlSafe, UInt8(ascii: "_") where urlSafe: return 63
        default: return nil
        }
    }
}
