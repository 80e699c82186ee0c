// The canonical text form of UUIDs, formatted and parsed by hand on the row-decoding hot path.

internal import Codecs
import Foundation

/// The canonical 8-4-4-4-12 hex form, by hand: Foundation's `uuidString` and
/// `UUID(uuidString:)` go through snprintf and sscanf, which showed in gallery profiles
/// (every row has an id, and every tile prints it several times).
enum PostgresUUID {
    static func format(_ uuid: UUID) -> String {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = Hex.digit(byte >> 4)
                    out[position + 1] = Hex.digit(byte & 0x0f)
                    position += 2
                }
                return position
            }
        }
    }

    /// Parses the canonical form (either case); nil for anything else.
    static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> UUID? {
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { bytes -> Bool in
            guard utf8.count == 36 else { return false }
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard utf8[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = Hex.nibble(utf8[position]), let low = Hex.nibble(utf8[position + 1]) else { return false }
                bytes[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return parsed ? UUID(uuid: value) : nil
    }
}

