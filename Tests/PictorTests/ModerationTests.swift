// The prompt check: disguised listed words are caught, innocent words that contain one are not,
// other scripts neither crash nor mislead it; the external endpoint fails open or closed.

import Foundation
import Logging
@testable import Pictor
import TestSupport
import XCTest

final class ModerationTests: XCTestCase {
    /// A list in the spirit of the shipped one, plus entries in other scripts.
    let blocklist = Blocklist(text: """
        # test list
        sex
        porn
        nude
        ass
        cock
        cunt
        rape
        rapist
        anal
        child porn
        ポルノ
        色情
        порно
        إباحي
        """)

    func testATableOfPromptsGetsTheExpectedVerdict() {
        let cases: [(prompt: String, blocked: String?)] = [
            // Caught: as written, and disguised.
            ("sex on the beach", "sex"),
            ("SEX", "sex"),
            ("a Sex scene", "sex"),
            ("séx", "sex"),
            ("ｓｅｘ in fullwidth letters", "sex"),
            ("s\u{0435}x with a Cyrillic e", "sex"),
            ("ѕех all look-alikes", "sex"),
            ("s3x", "sex"),
            ("5ex", "sex"),
            ("s.e.x", "sex"),
            ("a n.u.d.e portrait", "nude"),
            ("a s e x scene", "sex"),
            ("s e x", "sex"),
            ("s-e-x", "sex"),
            ("s_e_x tape", "sex"),
            ("seeeexxx", "sex"),
            ("p0rn", "porn"),
            ("p0rnography is not listed but p0rn is", "porn"),
            ("PoRn!", "porn"),
            ("pörn", "porn"),
            ("n*u*d*e", "nude"),
            ("nudes please", "nude"),
            ("nud3", "nude"),
            ("a photo of an a$$", "ass"),
            ("4ss", "ass"),
            ("c0ck", "cock"),
            ("r@pe scene", "rape"),
            ("a r4pist", "rapist"),
            ("CHILD  PORN", "child porn"),
            ("child-porn", "child porn"),
            ("ch1ld p0rn", "child porn"),
            ("日本語のポルノ画像", "ポルノ"),
            ("色情图片", "色情"),
            ("смотреть порно", "порно"),
            ("صورة إباحي", "إباحي"),
            // Innocent, though a listed word hides inside.
            ("Scunthorpe United football ground", nil),
            ("an assassin in the shadows", nil),
            ("a cocktail on a bar", nil),
            ("a therapist's office", nil),
            ("Essex countryside at dawn", nil),
            ("data analysis chart", nil),
            ("a bunch of grapes", nil),
            ("an old brass sextant", nil),
            ("a classroom with a bass guitar", nil),
            ("Charles Dickens reading", nil),
            ("peacock feathers", nil),
            ("Sussex cottage", nil),
            ("a grassy meadow", nil),
            ("sextuplets in a pram", nil),
            ("drape and curtains", nil),
            ("canal boats in Amsterdam", nil),
            ("I am a cat", nil),
            // Other scripts, innocent.
            ("桜の木の下で猫が眠る", nil),
            ("山水画，水墨风格", nil),
            ("кот сидит на окне", nil),
            ("مدينة في الليل", nil),
            ("🌸 a flower emoji 🌸", nil),
            ("1999 cars at 4pm", nil),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        for (prompt, expected) in cases {
            XCTAssertEqual(blocklist.match(prompt)?.text, expected, prompt)
        }
    }

    func testTheShippedListLoadsAndCatchesObviousTermsButNotEverydayPrompts() throws {
        let shipped = try Blocklist(contentsOfFile: PictorPaths.root + "/data/moderation-blocklist.txt")
        XCTAssertGreaterThan(shipped.entries.count, 30)
        for prompt in ["a nude portrait", "hentai girl", "p0rn star", "l0li", "child porn"] {
            XCTAssertNotNil(shipped.match(prompt), prompt)
        }
        for prompt in ["a lighthouse at dusk", "a cocktail bar in Essex", "an assassin's creed poster", "a sextant on a map",
                       "Scunthorpe in the rain", "a nudibranch under water"] {
            XCTAssertNil(shipped.match(prompt), prompt)
        }
    }

    // MARK: The external endpoint

    private func moderator(_ fake: FakeModeration, failOpen: Bool) throws -> PromptModerator {
        var settings = ModerationSettings()
        settings.blocklist = ""
        settings.external = true
        settings.url = fake.url
        settings.key = "sk-mod"
        settings.timeout = 1
        settings.failOpen = failOpen
        return try PromptModerator(settings: settings, logger: Logger(label: "test"))
    }

    func testTheExternalCheckRefusesFlaggedPromptsAndFailsOpenOrClosedAsConfigured() throws {
        let fake = FakeModeration()
        defer { fake.stop() }
        let open = try moderator(fake, failOpen: true), closed = try moderator(fake, failOpen: false)
        XCTAssertNoThrow(try open.check("a lighthouse", userID: 1))
        XCTAssertThrowsError(try open.check("something [flag] violent", userID: 1)) {
            XCTAssertEqual(($0 as? HTTPError)?.code, "content_rejected")
            XCTAssertEqual(($0 as? HTTPError)?.status, 422)
        }
        let request = try XCTUnwrap(fake.server.requests.last)
        XCTAssertEqual(request.target, "/v1/moderations")
        XCTAssertEqual(request.header("Authorization"), "Bearer sk-mod")
        XCTAssertTrue(String(decoding: request.body, as: UTF8.self).contains(#""model":"omni-moderation-latest""#))

        for prompt in ["[fail] a lighthouse", "[hang] a lighthouse"] {
            XCTAssertNoThrow(try open.check(prompt, userID: 1), "fail open: \(prompt)")
            XCTAssertThrowsError(try closed.check(prompt, userID: 1), "fail closed: \(prompt)") {
                XCTAssertEqual(($0 as? HTTPError)?.status, 503)
                XCTAssertEqual(($0 as? HTTPError)?.code, "moderation_unavailable")
            }
        }
    }

    func testModerationSettingsAreChecked() throws {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        for (text, message) in [("[moderation]\non_failure = maybe\n", "moderation.on_failure must be open or closed, got 'maybe'"),
                                ("[moderation]\nexternal = on\n", "moderation.external is on but OpenAI's endpoint needs a key: set PICTOR_MODERATION_KEY"),
                                ("[moderation]\nurl = moderation.local\n", "moderation.url must start with https:// or http://, got 'moderation.local'")] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { XCTAssertTrue("\($0)".hasSuffix(message), "\($0)") }
        }
        try "[moderation]\nexternal = on\non_failure = closed\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try Config.load(path: path, environment: ["PICTOR_MODERATION_KEY": "sk-1"])
        XCTAssertEqual(config.moderation.key, "sk-1")
        XCTAssertFalse(config.moderation.failOpen)
    }
}
