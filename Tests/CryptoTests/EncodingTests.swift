// Round-trip and known-answer tests for the hex and base64 codecs.
import XCTest
import Crypto

final class EncodingTests: XCTestCase {
    func testHexEncodesLowercaseAndRoundTrips() {
        XCTAssertEqual(Crypto.hex([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff")
        XCTAssertEqual(Crypto.fromHex("000FA5ff"), [0x00, 0x0f, 0xa5, 0xff])
        let bytes = Crypto.randomBytes(100)
        XCTAssertEqual(Crypto.fromHex(Crypto.hex(bytes)), bytes)
    }

    func testHexRejectsOddLengthAndNonHexCharacters() {
        XCTAssertNil(Crypto.fromHex("abc"))
        XCTAssertNil(Crypto.fromHex("zz"))
    }

    func testBase64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==",
                       "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Crypto.base64(Array(plain.utf8)), encoded)
            XCTAssertEqual(Crypto.fromBase64(encoded), Array(plain.utf8))
        }
    }

    func testBase64URLUsesURLAlphabetWithoutPadding() {
        XCTAssertEqual(Crypto.base64URL([0xfb, 0xff]), "-_8")
        XCTAssertEqual(Crypto.base64([0xfb, 0xff]), "+/8=")
        XCTAssertEqual(Crypto.base64URL(Array("f".utf8)), "Zg")
        XCTAssertEqual(Crypto.fromBase64URL("-_8"), [0xfb, 0xff])
        XCTAssertEqual(Crypto.fromBase64URL("Zg=="), Array("f".utf8))
    }

    func testBase64URLRoundTripsEveryLength() {
        for length in 0..<70 {
            let bytes = Crypto.randomBytes(length)
            let encoded = Crypto.base64URL(bytes)
            XCTAssertFalse(encoded.contains("="))
            XCTAssertEqual(Crypto.fromBase64URL(encoded), bytes, "length \(length)")
            XCTAssertEqual(Crypto.fromBase64(Crypto.base64(bytes)), bytes, "length \(length)")
        }
    }

    func testBase64DecodersRejectMalformedInput() {
        XCTAssertNil(Crypto.fromBase64URL("+/8"))     // standard alphabet in URL decoder
        XCTAssertNil(Crypto.fromBase64("-_8="))       // URL alphabet in standard decoder
        XCTAssertNil(Crypto.fromBase64("Z"))          // impossible length
        XCTAssertNil(Crypto.fromBase64("Zg="))        // padding that does not complete a quantum
        XCTAssertNil(Crypto.fromBase64("Zh=="))       // non-zero leftover bits
        XCTAssertNil(Crypto.fromBase64("Zm9v\n"))
        XCTAssertNil(Crypto.fromBase64("Z=g="))
    }
}
