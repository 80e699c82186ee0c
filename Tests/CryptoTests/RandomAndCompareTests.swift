// Tests for the CSPRNG helpers and the constant-time comparison.
import XCTest
import Codecs
import Crypto

final class RandomAndCompareTests: XCTestCase {
    func testRandomBytesHaveRequestedLengthAndDifferBetweenCalls() {
        XCTAssertEqual(Crypto.randomBytes(0), [])
        XCTAssertEqual(Crypto.randomBytes(1).count, 1)
        let a = Crypto.randomBytes(32), b = Crypto.randomBytes(32)
        XCTAssertEqual(a.count, 32)
        XCTAssertEqual(b.count, 32)
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, [UInt8](repeating: 0, count: 32))
    }

    func testRandomTokenIsURLSafeAndDecodesToRequestedBytes() {
        let token = Crypto.randomToken()
        XCTAssertEqual(token.count, 43)
        XCTAssertTrue(token.utf8.allSatisfy { $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        XCTAssertEqual(Base64URL.decode(token)?.count, 32)
        XCTAssertEqual(Base64URL.decode(Crypto.randomToken(bytes: 16))?.count, 16)
        XCTAssertNotEqual(Crypto.randomToken(), Crypto.randomToken())
    }

    func testConstantTimeEqualsAcceptsEqualBytes() {
        XCTAssertTrue(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertTrue(Crypto.constantTimeEquals([], []))
    }

    func testConstantTimeEqualsRejectsDifferentBytes() {
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Crypto.constantTimeEquals([0, 2, 3], [1, 2, 3]))
    }

    func testConstantTimeEqualsRejectsDifferentLengths() {
        XCTAssertFalse(Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
        XCTAssertFalse(Crypto.constantTimeEquals([], [0]))
    }
}
