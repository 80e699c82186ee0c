// Hex: known answers, round trips, and the inputs that must be refused.
import Codecs
import XCTest

final class HexTests: XCTestCase {
    func testEncodesLowercaseTwoDigitsPerByte() {
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff")
        XCTAssertEqual(Hex.encode([]), "")
    }

    func testDecodesEitherCase() {
        XCTAssertEqual(Hex.decode("000FA5ff"), [0x00, 0x0f, 0xa5, 0xff])
        XCTAssertEqual(Hex.decode("ABCDEF"), [0xab, 0xcd, 0xef])
    }

    func testEmptyTextDecodesToNoBytes() {
        XCTAssertEqual(Hex.decode(""), [])
    }

    func testRoundTripsEveryByteValue() {
        let bytes = (0...255).map { UInt8($0) }
        XCTAssertEqual(Hex.decode(Hex.encode(bytes)), bytes)
    }

    func testRefusesOddLengthAndNonHexCharacters() {
        for text in ["a", "abc", "zz", "0g", "g0", " 00", "00 ", "0x00", "-1", "é0", "0\u{0}"] {
            XCTAssertNil(Hex.decode(text), text)
        }
    }

    func testDecodesDigitsInsideALargerBuffer() {
        let text = Array("\\x00ff10".utf8)
        let bytes = text.withUnsafeBufferPointer { Hex.decode(utf8: UnsafeBufferPointer(rebasing: $0[2...])) }
        XCTAssertEqual(bytes, [0x00, 0xff, 0x10])
        XCTAssertNil(text.withUnsafeBufferPointer { Hex.decode(utf8: UnsafeBufferPointer(rebasing: $0[1...])) })
    }

    func testNibbleAndDigitAreInverses() {
        for value in UInt8(0)..<16 {
            XCTAssertEqual(Hex.nibble(Hex.digit(value)), value)
        }
        XCTAssertEqual(Hex.nibble(UInt8(ascii: "F")), 15)
        for character in "gG/:@` ".utf8 {
            XCTAssertNil(Hex.nibble(character), "\(character)")
        }
        // Every byte outside 0-9, a-f and A-F is refused, including non-ASCII ones.
        XCTAssertEqual((0...255).filter { Hex.nibble(UInt8($0)) != nil }.count, 22)
    }
}
