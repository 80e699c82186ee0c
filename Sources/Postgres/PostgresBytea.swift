// bytea's text forms: hex (`\x0aff`), and the older escape format a server may be set to print.

enum PostgresBytea {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(2 + bytes.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") {
            return try decodeHex(utf8, text)
        }
        // A server configured with bytea_output = 'escape' prints this older format instead.
        return try decodeEscape(utf8, text)
    }

    private static func decodeHex(_ utf8: [UInt8], _ text: String) throws -> [UInt8] {
        guard utf8.count % 2 == 0 else { throw decodingError(text, as: "bytea") }
        var out = [UInt8]()
        out.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = hexNibble(utf8[i]), let low = hexNibble(utf8[i + 1]) else {
                throw decodingError(text, as: "bytea")
            }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func decodeEscape(_ utf8: [UInt8], _ text: String) throws -> [UInt8] {
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
            guard i + 3 < utf8.count else { throw decodingError(text, as: "bytea") }
            var value = 0
            for c in utf8[(i + 1)...(i + 3)] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "7") else { throw decodingError(text, as: "bytea") }
                value = value * 8 + Int(c - UInt8(ascii: "0"))
            }
            guard value <= 255 else { throw decodingError(text, as: "bytea") }
            out.append(UInt8(value))
            i += 4
        }
        return out
    }
}
