// Tests for scrypt password hashing: RFC 7914 vectors, round trips, stored parameters, malformed input.
import XCTest
import Codecs
@testable import Crypto

final class PasswordHasherTests: XCTestCase {
    /// Small parameters keep the suite fast; the format and logic do not depend on N.
    let fast = PasswordHasher(n: 1 << 10, r: 8, p: 1)

    func testScryptMatchesRFC7914PasswordNaClVector() {
        let key = Crypto.scrypt(password: Array("password".utf8), salt: Array("NaCl".utf8),
                                n: 1024, r: 8, p: 16, length: 64)
        XCTAssertEqual(key.map(Hex.encode),
                       "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                       + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    func testScryptMatchesRFC7914EmptyInputsVector() {
        let key = Crypto.scrypt(password: [], salt: [], n: 16, r: 1, p: 1, length: 64)
        XCTAssertEqual(key.map(Hex.encode),
                       "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                       + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    }

    func testScryptRejectsNonPowerOfTwoN() {
        XCTAssertNil(Crypto.scrypt(password: [1], salt: [2], n: 1000, r: 8, p: 1, length: 32))
    }

    func testHashHasSelfDescribingFormat() throws {
        let stored = fast.hash("hunter2")
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(parts.count, 6)
        XCTAssertEqual(Array(parts[0...3]), ["scrypt", "1024", "8", "1"])
        XCTAssertEqual(Base64.decode(parts[4])?.count, 16)
        XCTAssertEqual(Base64.decode(parts[5])?.count, 32)
    }

    func testVerifyAcceptsTheHashedPassword() {
        let stored = fast.hash("correct horse battery staple")
        XCTAssertTrue(fast.verify("correct horse battery staple", against: stored))
    }

    func testDefaultHasherRoundTrips() {
        let hasher = PasswordHasher()
        let stored = hasher.hash("pässwörd ✓")
        XCTAssertTrue(stored.hasPrefix("scrypt$16384$8$1$"))
        XCTAssertTrue(hasher.verify("pässwörd ✓", against: stored))
        XCTAssertFalse(hasher.verify("passwörd ✓", against: stored))
    }

    func testVerifyRejectsWrongPassword() {
        let stored = fast.hash("hunter2")
        XCTAssertFalse(fast.verify("hunter3", against: stored))
        XCTAssertFalse(fast.verify("", against: stored))
        XCTAssertFalse(fast.verify("hunter2 ", against: stored))
    }

    func testEmptyPasswordRoundTrips() {
        let stored = fast.hash("")
        XCTAssertTrue(fast.verify("", against: stored))
        XCTAssertFalse(fast.verify("x", against: stored))
    }

    func testSamePasswordHashesDifferentlyBecauseOfSalt() {
        let a = fast.hash("hunter2"), b = fast.hash("hunter2")
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(fast.verify("hunter2", against: a))
        XCTAssertTrue(fast.verify("hunter2", against: b))
    }

    func testVerifyUsesParametersStoredInTheHash() {
        let old = PasswordHasher(n: 16, r: 1, p: 1).hash("hunter2")
        XCTAssertTrue(old.hasPrefix("scrypt$16$1$1$"))
        XCTAssertTrue(fast.verify("hunter2", against: old))
        XCTAssertFalse(fast.verify("hunter1", against: old))
    }

    func testVerifyMatchesAHashBuiltFromTheRFCVector() {
        // Builds the stored string by hand, so the format is checked independently of hash().
        let key = Hex.decode("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162")!
        let stored = "scrypt$1024$8$16$\(Base64.encode(Array("NaCl".utf8)))$\(Base64.encode(key))"
        XCTAssertTrue(fast.verify("password", against: stored))
        XCTAssertFalse(fast.verify("Password", against: stored))
    }

    func testVerifyReturnsFalseForMalformedStoredStrings() {
        let good = fast.hash("pw")
        let parts = good.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let salt = parts[4], key = parts[5]
        let malformed = [
            "", "scrypt", "$$$$$", "scrypt$$$$$",
            "bcrypt$1024$8$1$\(salt)$\(key)",
            "scrypt$1000$8$1$\(salt)$\(key)",            // N not a power of two
            "scrypt$1$8$1$\(salt)$\(key)",               // N too small
            "scrypt$0$8$1$\(salt)$\(key)",
            "scrypt$01024$8$1$\(salt)$\(key)",           // leading zero
            "scrypt$-1024$8$1$\(salt)$\(key)",
            "scrypt$1024$0$1$\(salt)$\(key)",
            "scrypt$1024$8$0$\(salt)$\(key)",
            "scrypt$18446744073709551616$8$1$\(salt)$\(key)",
            "scrypt$\(UInt64(1) << 40)$8$1$\(salt)$\(key)",  // would need terabytes
            "scrypt$1024$8$1000000$\(salt)$\(key)",
            "scrypt$1024$8$1$$\(key)",                   // empty salt
            "scrypt$1024$8$1$\(salt)$",                  // empty key
            "scrypt$1024$8$1$\(salt)$AAAA",              // key too short
            "scrypt$1024$8$1$not*base64$\(key)",
            "scrypt$1024$8$1$\(salt)$\(key)$extra",
            " \(good)", "\(good)\n",
        ]
        for stored in malformed {
            XCTAssertFalse(fast.verify("pw", against: stored), "accepted: \(stored.debugDescription)")
        }
        XCTAssertTrue(fast.verify("pw", against: good))
    }

    func testNeedsRehashWhenStoredParametersAreWeaker() {
        let hasher = PasswordHasher(n: 1 << 10, r: 8, p: 1)
        XCTAssertFalse(hasher.needsRehash(hasher.hash("pw")))
        XCTAssertTrue(hasher.needsRehash(PasswordHasher(n: 1 << 9, r: 8, p: 1).hash("pw")))
        XCTAssertTrue(hasher.needsRehash(PasswordHasher(n: 1 << 10, r: 4, p: 1).hash("pw")))
        XCTAssertTrue(PasswordHasher(n: 1 << 10, r: 8, p: 2).needsRehash(hasher.hash("pw")))
        XCTAssertFalse(hasher.needsRehash(PasswordHasher(n: 1 << 11, r: 8, p: 1).hash("pw")))
        XCTAssertTrue(hasher.needsRehash("garbage"))
    }
}
