// The ZIP writer: CRC-32 as ZIP and PNG use it, the records' layout, DOS dates.

@testable import Codecs
import XCTest

final class ZipWriterTests: XCTestCase {
    func testCRC32MatchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
    }

    func testAnArchiveIsItsEntriesThenTheCentralDirectory() throws {
        var zip = ZipWriter(date: 1_780_000_000)   // 2026-05-28 20:26:40 UTC
        let first = try zip.entry(name: "pictor-data.json", data: Array("{}".utf8))
        let second = try zip.entry(name: "images/é.png", data: [1, 2, 3])
        let end = try zip.finish()
        XCTAssertEqual(Array(first.prefix(4)), [0x50, 0x4b, 0x03, 0x04])
        XCTAssertEqual(first.count, 30 + 16 + 2)
        XCTAssertEqual(second.count, 30 + Array("images/é.png".utf8).count + 3)
        XCTAssertEqual(Array(end.suffix(22).prefix(4)), [0x50, 0x4b, 0x05, 0x06])
        XCTAssertEqual(Array(end.suffix(22)[end.count - 22 + 10..<end.count - 22 + 12]), [2, 0], "two entries")
        // The DOS date: (2026 - 1980) << 9 | 5 << 5 | 28.
        XCTAssertEqual(Array(first[12..<14]), [UInt8((46 << 9 | 5 << 5 | 28) & 0xff), UInt8((46 << 9 | 5 << 5 | 28) >> 8)])
        XCTAssertTrue(ZipWriter.civil(fromDays: 0) == (1970, 1, 1))
        XCTAssertTrue(ZipWriter.civil(fromDays: 20_454) == (2026, 1, 1))
    }
}
