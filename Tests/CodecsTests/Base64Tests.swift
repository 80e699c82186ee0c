// Base64 and base64url: RFC 4648 vectors, alphabets, padding rules and malformed input.
import Codecs
import XCTest

final class Base64Tests: XCTestCase {
    func testMatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==",
                       "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8))
        }
    }

    func testEmptyInputIsEmptyBothWays() {
        XCTAssertEqual(Base64.encode([]), "")
        XCTAssertEqual(Base64URL.encode([]), "")
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertEqual(Base64URL.decode(""), [])
    }

    func testURLVariantUsesItsOwnAlphabetWithoutPadding() {
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff]), "-_8")
        XCTAssertEqual(Base64.encode([0xfb, 0xff]), "+/8=")
        XCTAssertEqual(Base64URL.encode(Array("f".utf8)), "Zg")
        XCTAssertEqual(Base64URL.decode("-_8"), [0xfb, 0xff])
    }

    func testPaddingIsOptionalButMustCompleteTheLastGroup() {
        XCTAssertEqual(Base64.decode("Zg"), Array("f".utf8))
        XCTAssertEqual(Base64.decode("Zm8"), Array("fo".utf8))
        XCTAssertEqual(Base64URL.decode("Zg=="), Array("f".utf8))
        XCTAssertNil(Base64.decode("Zg="))      // two characters need two pad characters
        XCTAssertNil(Base64.decode("Zm8=="))    // too much padding
        XCTAssertNil(Base64.decode("Zm9v===="))
        XCTAssertNil(Base64.decode("===="))
        XCTAssertNil(Base64.decode("Z=g="))     // padding in the middle
        XCTAssertNil(Base64.decode("Zg==Zg=="))
    }

    func testEachAlphabetRefusesTheOthersCharacters() {
        XCTAssertNil(Base64URL.decode("+/8"))
        XCTAssertNil(Base64.decode("-_8="))
    }

    func testRefusesImpossibleLengthsSpareBitsAndStrayCharacters() {
        XCTAssertNil(Base64.decode("Z"))         // six bits cannot make a byte
        XCTAssertNil(Base64.decode("Zm9vY"))
        XCTAssertNil(Base64.decode("Zh=="))      // non-zero leftover bits: a second spelling of "f"
        XCTAssertNil(Base64URL.decode("Zh"))
        XCTAssertNil(Base64.decode("Zm9v\n"))
        XCTAssertNil(Base64.decode(" Zm9v"))
        XCTAssertNil(Base64.decode("Zm9v\u{0}"))
        XCTAssertNil(Base64.decode("Zm9é"))
    }

    func testRoundTripsEveryLengthAndByteValue() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            let url = Base64URL.encode(bytes)
            XCTAssertFalse(url.contains("="), "length \(length)")
            XCTAssertEqual(Base64URL.decode(url), bytes, "length \(length)")
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes, "length \(length)")
        }
        let all = (0...255).map { UInt8($0) }
        XCTAssertEqual(Base64.decode(Base64.encode(all)), all)
        XCTAssertEqual(Base64URL.decode(Base64URL.encode(all)), all)
    }
}
