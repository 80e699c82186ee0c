// The account rules that need no database: email normalisation, passwords, redirects, formats.

import Foundation
@testable import Pictor
import XCTest

final class AccountRulesTests: XCTestCase {
    func testEmailsAreTrimmedAndLowerCased() throws {
        XCTAssertEqual(try Credentials.normalizedEmail("  Alice@Example.COM\n"), "alice@example.com")
    }

    func testMalformedEmailsAreRefused() {
        for bad in ["", "alice", "@example.com", "alice@", "alice@example", "a b@example.com", "alice@@example.com",
                    "alice@.example.com", "alice@example.com.", String(repeating: "a", count: 250) + "@example.com", "al\u{0}ice@example.com"] {
            XCTAssertThrowsError(try Credentials.normalizedEmail(bad), bad) { error in
                XCTAssertEqual(error as? AccountError, .invalidEmail)
            }
        }
    }

    /// Swift's == treats canonically equal strings as equal, so these compare the stored bytes.
    func testCanonicallyEqualEmailsNormaliseToTheSameNFCBytes() throws {
        let composed = "jos\u{E9}@example.com"       // é as one code point (NFC)
        let decomposed = "jose\u{301}@example.com"   // e + combining acute (NFD)
        XCTAssertNotEqual(Array(composed.utf8), Array(decomposed.utf8))
        for spelling in [composed, decomposed, "JOSE\u{301}@Example.com", "  JOS\u{C9}@EXAMPLE.COM "] {
            XCTAssertEqual(Array(try Credentials.normalizedEmail(spelling).utf8), Array(composed.utf8), spelling)
        }
    }

    func testEmailsWithInvisibleFormatCharactersAreRefused() {
        // Zero-width space, joiner and non-joiner, right-to-left override, soft hyphen, word
        // joiner, byte-order mark: all Unicode general category Cf.
        for character in ["\u{200B}", "\u{200D}", "\u{200C}", "\u{202E}", "\u{00AD}", "\u{2060}", "\u{FEFF}"] {
            for email in ["al\(character)ice@example.com", "alice@exam\(character)ple.com", "\(character)alice@example.com"] {
                XCTAssertThrowsError(try Credentials.normalizedEmail(email), email.debugDescription) { error in
                    XCTAssertEqual(error as? AccountError, .invalidEmail)
                }
            }
        }
    }

    private let common = CommonPasswords(["password1234", "qwertyuiop", "short"])

    func testPasswordLengthRules() throws {
        XCTAssertThrowsError(try Credentials.validatePassword("123456789", common: common)) { error in
            XCTAssertEqual((error as? AccountError)?.message, "Use a password of at least 10 characters.")
        }
        XCTAssertNoThrow(try Credentials.validatePassword("1234567890", common: common))
        XCTAssertNoThrow(try Credentials.validatePassword(String(repeating: "é", count: 1024), common: common))
        XCTAssertThrowsError(try Credentials.validatePassword(String(repeating: "x", count: 1025), common: common))
    }

    func testPasswordsOfOnlyWhitespaceAreRefused() {
        for blank in [String(repeating: " ", count: 12), " \t \n \u{A0}\u{3000}     "] {
            XCTAssertThrowsError(try Credentials.validatePassword(blank, common: common)) { error in
                XCTAssertEqual(error as? AccountError, .passwordBlank)
            }
        }
        XCTAssertNoThrow(try Credentials.validatePassword("   a        ", common: common))
    }

    func testCommonPasswordsAreRefusedWhateverTheirCase() {
        for password in ["password1234", "PassWord1234", "QWERTYUIOP"] {
            XCTAssertThrowsError(try Credentials.validatePassword(password, common: common), password) { error in
                XCTAssertEqual((error as? AccountError)?.message, "That password is one of the most common ones; choose another.")
            }
        }
        XCTAssertNoThrow(try Credentials.validatePassword("password12345", common: common))
    }

    /// The shipped list: its 10,000 entries (not its licence header), read as the app reads it.
    func testTheShippedListHoldsTheTenThousandMostCommonPasswords() throws {
        let shipped = try CommonPasswords(contentsOfFile: PictorPaths.root + "/data/common-passwords.txt")
        XCTAssertEqual(shipped.count, 10_000)
        for password in ["123456", "password", "qwertyuiop", "1q2w3e4r5t", "PASSWORD123", "Manchester"] {
            XCTAssertTrue(shipped.contains(password), password)
        }
        XCTAssertFalse(shipped.contains("correct horse battery"))
        XCTAssertFalse(shipped.contains("# the software is provided \"as is\", without warranty of any kind, express or"))
        XCTAssertThrowsError(try Credentials.validatePassword("1234567890", common: shipped))
        XCTAssertThrowsError(try CommonPasswords(contentsOfFile: "/nonexistent/common-passwords.txt"))
    }

    func testCommonPasswordFilesMayHaveCommentsAndWindowsLineEnds() throws {
        let path = NSTemporaryDirectory() + "common-\(UUID().uuidString).txt"
        try "# a comment\r\nHunter2hunter2\r\n\r\nwith spaces inside\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let list = try CommonPasswords(contentsOfFile: path)
        XCTAssertEqual(list.count, 2)
        XCTAssertTrue(list.contains("hunter2HUNTER2"))
        XCTAssertTrue(list.contains("With Spaces Inside"))
    }

    /// Sign-ups are counted per IPv4 address, per IPv6 /64 (one subscriber's block).
    func testSignUpsAreCountedPerAddressOrIPv6Slash64() {
        XCTAssertEqual(SignupLimit.network(of: "203.0.113.7"), "203.0.113.7")
        XCTAssertEqual(SignupLimit.network(of: "2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64")
        XCTAssertEqual(SignupLimit.network(of: "2001:DB8:1:2::99"), "2001:db8:1:2::/64")
        XCTAssertEqual(SignupLimit.network(of: "2001:db8::1"), "2001:db8:0:0::/64")
        XCTAssertEqual(SignupLimit.network(of: "::1"), "0:0:0:0::/64")
        XCTAssertEqual(SignupLimit.network(of: "::ffff:203.0.113.7"), "203.0.113.7", "IPv4 on a dual-stack socket")
        for odd in ["", "not an address", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "12345::1"] {
            XCTAssertEqual(SignupLimit.network(of: odd), odd, "kept whole: \(odd)")
        }
    }

    func testOnlyLocalPathsAreRedirectTargets() {
        XCTAssertEqual(safeLocalPath("/account?x=1"), "/account?x=1")
        for bad in [nil, "", "account", "//evil.example", "/\\evil.example", "https://evil.example", "/a\nb"] {
            XCTAssertNil(safeLocalPath(bad), String(describing: bad))
        }
    }

    func testNumbersAndDatesAreFormattedForPages() {
        XCTAssertEqual(Format.number(0), "0")
        XCTAssertEqual(Format.number(999), "999")
        XCTAssertEqual(Format.number(1234567), "1,234,567")
        XCTAssertEqual(Format.signed(50), "+50")
        XCTAssertEqual(Format.signed(-2000), "−2,000")
        let date = Date(timeIntervalSince1970: 1_795_595_460)   // 2026-11-25 08:31 UTC
        XCTAssertEqual(Format.day(date), "25 Nov 2026")
        XCTAssertEqual(Format.minute(date), "25 Nov 2026 08:31 UTC")
    }

    func testCookiesCarryTheRequiredAttributes() {
        XCTAssertEqual(Cookie.set("s", "v", maxAge: 60, secure: true), "s=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure")
        XCTAssertEqual(Cookie.clear("s", secure: false), "s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }
}
