// Signed links to private files: the signatures nginx's secure_link_md5 expects, the hourly
// expiry, which pages use them, and the secret's rules.

import Foundation
import Logging
@testable import Pictor
import XCTest

final class SignedMediaLinkTests: XCTestCase {
    private let secret = "0123456789abcdef0123456789abcdef"
    private let key = "3f/3f9c2b7e0d4a41c88d1e5f60a7b9c2d1-256.webp"

    // Computed apart from Pictor, as nginx does it:
    //   printf '%s' "1767229200/private-media/3f/3f9c2b7e0d4a41c88d1e5f60a7b9c2d1-256.webp <secret>" \
    //     | openssl md5 -binary | base64 | tr '+/' '-_' | tr -d '='
    func testSignaturesMatchNginxsSecureLinkMD5() {
        let links = SignedMediaLink(secret: secret)
        XCTAssertEqual(links.url(for: key, expires: 1_767_229_200),
                       "/private-media/3f/3f9c2b7e0d4a41c88d1e5f60a7b9c2d1-256.webp?e=1767229200&s=B4jVy3WvJayyLnXj5Yy_dg")
        XCTAssertEqual(links.signature(path: "/private-media/" + key, expires: 1_767_232_800), "WAqrlXAak_smU5fj79iMMg",
                       "another expiry, another signature")
        XCTAssertEqual(links.signature(path: "/private-media/3f/3f9c2b7e0d4a41c88d1e5f60a7b9c2d1.png", expires: 1_767_229_200),
                       "tzUrodv2yJEnygIQeQCNGw", "another file, another signature")
        XCTAssertNotEqual(SignedMediaLink(secret: String(secret.reversed())).url(for: key, expires: 1_767_229_200),
                          links.url(for: key, expires: 1_767_229_200))
    }

    func testLinksExpireAtTheEndOfTheNextWholeHour() {
        // 2026-01-01 00:00:00 UTC is 1767225600.
        XCTAssertEqual(SignedMediaLink.expiry(at: Date(timeIntervalSince1970: 1_767_225_600)), 1_767_225_600 + 7200)
        XCTAssertEqual(SignedMediaLink.expiry(at: Date(timeIntervalSince1970: 1_767_225_600 + 3599)), 1_767_225_600 + 7200,
                       "the same URL for every page within the hour")
        XCTAssertEqual(SignedMediaLink.expiry(at: Date(timeIntervalSince1970: 1_767_225_600 + 3600)), 1_767_225_600 + 10_800)
        for offset in stride(from: 0, to: 7200, by: 97) {
            let now = 1_767_225_600 + offset
            let left = SignedMediaLink.expiry(at: Date(timeIntervalSince1970: TimeInterval(now))) - now
            XCTAssertTrue((SignedMediaLink.window + 1...2 * SignedMediaLink.window).contains(left), "\(left) s left")
        }
    }

    func testPagesLinkPrivateFilesSignedPublicOnesAtMediaAndTheAPIKeepsTheOwnerCheckedRoute() {
        let signed = LocalMediaStore(root: "/nonexistent", links: SignedMediaLink(secret: secret))
        let links = PageMediaLinks(media: signed, now: Date(timeIntervalSince1970: 1_767_225_600))
        let mine = Samples.generation()
        XCTAssertEqual(mine.pageURL(.thumbnail, links: links),
                       SignedMediaLink(secret: secret).url(for: "ab/abcdef-256.webp", expires: 1_767_232_800))
        XCTAssertEqual(mine.url(.thumbnail, in: signed), "/generations/0a1b2c3d-0000-4000-8000-00000000abcd/thumbnail",
                       "API answers keep URLs that do not expire")
        XCTAssertEqual(Samples.generation(isPublic: true).pageURL(.image, links: links), "/media/ab/abcdef.png")
        XCTAssertNil(Samples.generation(status: .running).pageURL(.image, links: links))

        let unsigned = PageMediaLinks(media: LocalMediaStore(root: "/nonexistent"))
        XCTAssertEqual(mine.pageURL(.image, links: unsigned), "/generations/0a1b2c3d-0000-4000-8000-00000000abcd/image",
                       "without a secret, pages link through the pool as before")
    }

    func testTheSecretComesFromTheEnvironmentAndMustBeSafeInNginxsConfig() throws {
        XCTAssertNil(try Config.load(path: nil, environment: [:]).storage.linkSecret)
        let config = try Config.load(path: nil, environment: ["PICTOR_STORAGE_LINK_SECRET": secret])
        XCTAssertEqual(config.storage.linkSecret, secret)
        XCTAssertEqual(makeMediaStorage(config, logger: .init(label: "test")).signedLink(for: key, expires: 1_767_229_200),
                       SignedMediaLink(secret: secret).url(for: key, expires: 1_767_229_200))
        XCTAssertNil(try Config.load(path: nil, environment: ["PICTOR_STORAGE_LINK_SECRET": ""]).storage.linkSecret,
                     "empty is unset")
        for bad in ["short", secret + "$uri", secret + " x", secret + "\"", secret + "é"] {
            XCTAssertThrowsError(try Config.load(path: nil, environment: ["PICTOR_STORAGE_LINK_SECRET": bad]), bad) { error in
                XCTAssertTrue("\(error)".contains("storage.link_secret"), "\(error)")
            }
        }
    }
}
