// Known-answer tests for SHA-256, HMAC-SHA256 and MD5 against published vectors.
import XCTest
import Codecs
import Crypto

final class DigestTests: XCTestCase {
    func testSHA256MatchesFIPS180ShortMessageVector() {
        XCTAssertEqual(Hex.encode(Crypto.sha256("abc")),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testSHA256MatchesFIPS180TwoBlockVector() {
        XCTAssertEqual(Hex.encode(Crypto.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testSHA256OfEmptyInput() {
        XCTAssertEqual(Hex.encode(Crypto.sha256([UInt8]())),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testSHA256StringOverloadHashesUTF8Bytes() {
        XCTAssertEqual(Crypto.sha256("héllo ✓"), Crypto.sha256(Array("héllo ✓".utf8)))
    }

    func testHMACSHA256MatchesRFC4231Case1() {
        let mac = Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        XCTAssertEqual(Hex.encode(mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    func testHMACSHA256MatchesRFC4231Case2() {
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testHMACSHA256AcceptsEmptyKeyAndMessage() {
        XCTAssertEqual(Hex.encode(Crypto.hmacSHA256(key: [], message: [])),
                       "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    func testMD5MatchesRFC1321Vectors() {
        XCTAssertEqual(Hex.encode(Crypto.md5([])), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(Hex.encode(Crypto.md5(Array("abc".utf8))), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(Hex.encode(Crypto.md5(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))),
                       "57edf4a22be3c955ac49da2e2107b67a")
    }
}
