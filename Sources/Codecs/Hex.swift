// Hexadecimal text for bytes: the one implementation Crypto, Postgres and FastCGI share.

/// Lower-case hexadecimal encoding and case-insensitive decoding of bytes.
public enum Hex {
    /// Lower-case hexadecimal text of `bytes`, two digits per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var position = 0
            for byte in bytes {
                out[position] = digit(byte >> 4)
                out[position + 1] = digit(byte & 0x0f)
                position += 2
            }
            return position
        }
    }

    /// The bytes spelled by `text` (either case); `nil` for an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8(decode(utf8:))
    }

    /// The bytes spelled by the hex digits in `digits` (either case); `nil` for an odd count or
    /// a non-hex character. Works on a slice of a larger buffer, e.g. after bytea's `\x` prefix.
    public static func decode(utf8 digits: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var valid = true
        let bytes = [UInt8](unsafeUninitializedCapacity: digits.count / 2) { out, count in
            var index = 0
            while index < out.count {
                guard let high = nibble(digits[2 * index]), let low = nibble(digits[2 * index + 1]) else {
                    valid = false
                    break
                }
                out[index] = high << 4 | low
                index += 1
            }
            count = index
        }
        return valid ? bytes : nil
    }

    /// The value (0–15) of one hex digit in either case, or `nil` for any other byte.
    /// Inlinable: UUID parsing and percent-decoding call it once per character.
    @inlinable
    public static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// The digit for `value`, which must be below 16: lower-case, or upper-case where a format
    /// prefers it (percent-encoding, RFC 3986).
    @inlinable
    public static func digit(_ value: UInt8, uppercase: Bool = false) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") &+ value : (uppercase ? UInt8(ascii: "A") : UInt8(ascii: "a")) &- 10 &+ value
    }
}
