// A ZIP archive written front to back, so it can be streamed as it is made: each entry's local
// header and data go out at once, the central directory at the end. Entries are stored, not
// deflated: the files Pictor exports (PNG, WebP, JPEG, JSON of modest size) are compressed
// already or small. No ZIP64: an archive stays under 4 GiB and 65,535 entries (checked).

/// Builds the bytes of a ZIP archive piece by piece; hand each piece to the sender as it comes.
public struct ZipWriter {
    public enum Failure: Error, Equatable {
        /// The archive would need ZIP64 (4 GiB or 65,535 entries), which this writer does not make.
        case tooLarge
    }

    private struct Entry {
        let name: [UInt8]
        let crc: UInt32
        let size: UInt32
        let offset: UInt32
    }

    private var entries: [Entry] = []
    private var offset: UInt64 = 0
    /// DOS date and time of every entry (ZIP has no time zone: UTC is written).
    private let dosTime: UInt16
    private let dosDate: UInt16

    /// - Parameter date: seconds since 1970 stamped on every entry.
    public init(date: Double) {
        let days = Int((date / 86_400).rounded(.down))
        let seconds = Int(date) - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        dosTime = UInt16(seconds / 3600) << 11 | UInt16(seconds % 3600 / 60) << 5 | UInt16(seconds % 60 / 2)
        dosDate = UInt16(max(0, year - 1980)) << 9 | UInt16(month) << 5 | UInt16(day)
    }

    /// The local header and data of one file, to send now. `name` uses `/` between folders.
    public mutating func entry(name: String, data: [UInt8]) throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard entries.count < 65_535, data.count < Int(UInt32.max),
              offset + UInt64(30 + nameBytes.count + data.count) < UInt64(UInt32.max) else { throw Failure.tooLarge }
        let entry = Entry(name: nameBytes, crc: CRC32.checksum(data), size: UInt32(data.count), offset: UInt32(offset))
        var out: [UInt8] = []
        out.reserveCapacity(30 + nameBytes.count + data.count)
        out.append32(0x0403_4b50)
        out.append16(20)                 // version needed: 2.0
        out.append16(0x0800)             // flags: names are UTF-8
        out.append16(0)                  // stored
        out.append16(dosTime)
        out.append16(dosDate)
        out.append32(entry.crc)
        out.append32(entry.size)         // compressed size
        out.append32(entry.size)         // uncompressed size
        out.append16(UInt16(nameBytes.count))
        out.append16(0)                  // no extra field
        out += nameBytes
        out += data
        entries.append(entry)
        offset += UInt64(out.count)
        return out
    }

    /// The central directory and its end record: the last bytes of the archive.
    public func finish() throws -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            out.append32(0x0201_4b50)
            out.append16(0x031e)         // made by: Unix, 3.0
            out.append16(20)
            out.append16(0x0800)
            out.append16(0)
            out.append16(dosTime)
            out.append16(dosDate)
            out.append32(entry.crc)
            out.append32(entry.size)
            out.append32(entry.size)
            out.append16(UInt16(entry.name.count))
            out.append16(0)              // extra
            out.append16(0)              // comment
            out.append16(0)              // disk
            out.append16(0)              // internal attributes
            out.append32(0o100644 << 16) // external: a regular file, rw-r--r--
            out.append32(entry.offset)
            out += entry.name
        }
        guard offset + UInt64(out.count) < UInt64(UInt32.max) else { throw Failure.tooLarge }
        let directorySize = UInt32(out.count)
        out.append32(0x0605_4b50)
        out.append16(0)
        out.append16(0)
        out.append16(UInt16(entries.count))
        out.append16(UInt16(entries.count))
        out.append32(directorySize)
        out.append32(UInt32(offset))
        out.append16(0)                  // no comment
        return out
    }

    /// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// CRC-32 (IEEE 802.3, as ZIP, PNG and gzip use it).
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

private extension Array where Element == UInt8 {
    mutating func append16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func append32(_ value: UInt32) {
        append16(UInt16(truncatingIfNeeded: value))
        append16(UInt16(truncatingIfNeeded: value >> 16))
    }
}
