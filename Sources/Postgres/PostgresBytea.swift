// bytea's text forms: hex (`\x0aff`), and the older escape format a server may be set to print.

internal import Codecs

enum PostgresBytea {
    static func hex(_ bytes: [UInt8]) -> String {
        "\\x" + Hex.encode(bytes)
    }

    /// The bytes of bytea text in either output format; nil when malformed.
    static func decode(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") {
            return Hex.decode(utf8: UnsafeBufferPointer(rebasing: utf8[2...]))
        }
        // A server configured with bytea_output = 'escape' prints this older format instead.
        return decodeEscape(utf8)
    }

    private static func decodeEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            if i + 1 < utf8.count, utf8[i + 1] == UInt8(ascii: "\\") {
                out.append(c)
                i += 2
                continue
            }
            // \ooo: three octal digits.
            guard i + 3 < utf8.count else { return nil }
            var value = 0
            for c in utf8[(i + 1)...(i + 3)] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "7") else { return nil }
                value = value * 8 + Int(c - UInt8(ascii: "0"))
            }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
            i += 4
        }
        return out
    }
}
