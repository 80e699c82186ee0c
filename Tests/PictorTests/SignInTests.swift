// The parts of provider sign-in that need no provider: the config sections, PKCE, the consent
// URL, and the attempts table (single use, ten minutes, purged by housekeeping).

import Crypto
import Foundation
import Postgres
@testable import Pictor
import TestSupport
import XCTest

final class SignInTests: XCTestCase {
    private func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    // MARK: Config

    func testProvidersAreOfferedOnlyWithAClientIDAndSecretAndDefaultToTheRealEndpoints() throws {
        XCTAssertTrue(Config().signIn.configured.isEmpty, "none without configuration")
        let path = try write("[oauth.google]\nclient_id = 123.apps.googleusercontent.com\n[oauth.github]\nclient_id = Iv1.abc\n")
        let config = try Config.load(path: path, environment: ["PICTOR_OAUTH_GOOGLE_CLIENT_SECRET": "from-the-environment"])
        XCTAssertEqual(config.signIn.configured.map(\.provider), [.google])
        XCTAssertEqual(config.signIn.google.clientSecret, "from-the-environment")
        XCTAssertEqual(config.signIn.google.authorizeURL, "https://accounts.google.com/o/oauth2/v2/auth")
        XCTAssertEqual(config.signIn.google.tokenURL, "https://oauth2.googleapis.com/token")
        XCTAssertEqual(config.signIn.google.profileURL, "https://openidconnect.googleapis.com/v1/userinfo")
        XCTAssertEqual(config.signIn.github.authorizeURL, "https://github.com/login/oauth/authorize")
        XCTAssertEqual(config.signIn.github.profileURL, "https://api.github.com")
        XCTAssertEqual(config.signIn.timeout, 10)
        XCTAssertTrue(config.notices.contains("sign-in with GitHub is off: oauth.github.client_id is set but not its client_secret (PICTOR_OAUTH_GITHUB_CLIENT_SECRET)"),
                      "\(config.notices)")
        XCTAssertFalse(config.notices.joined().contains("from-the-environment"), "a notice never shows a secret")
    }

    func testBadSignInSettingsNameTheSetting() throws {
        for (text, words) in [
            ("[oauth.google]\ntoken_url = oauth2.googleapis.com/token\n", "oauth.google.token_url must be a URL starting with https://"),
            ("[oauth]\ntimeout = 0\n", "oauth.timeout must be a number of seconds up to 120"),
            ("[oauth.gitlab]\nclient_id = x\n", "unknown setting 'oauth.gitlab.client_id'"),
        ] {
            XCTAssertThrowsError(try Config.load(path: try write(text), environment: [:]), text) {
                XCTAssertTrue("\($0)".contains(words), "\($0)")
            }
        }
        let trailing = try Config.load(path: try write("[oauth.github]\nprofile_url = http://127.0.0.1:9/api/\n"), environment: [:])
        XCTAssertEqual(trailing.signIn.github.profileURL, "http://127.0.0.1:9/api", "a trailing slash is dropped")
    }

    // MARK: PKCE and the consent URL

    func testTheChallengeIsRFC7636sS256() {
        // RFC 7636, Appendix B.
        XCTAssertEqual(OAuthClient.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    func testTheConsentURLCarriesTheStateAndChallengeButNeverTheSecretOrVerifier() {
        var settings = SignInProviderSettings(.github)
        settings.clientID = "Iv1.abc"
        settings.clientSecret = "very-secret"
        let url = OAuthClient(settings: settings, timeout: 5)
            .authorizationURL(state: "the-state", verifier: "the-verifier", redirectURI: "https://pictor.example/auth/github/callback")
        XCTAssertEqual(url, "https://github.com/login/oauth/authorize?response_type=code&client_id=Iv1.abc"
                       + "&redirect_uri=https%3A%2F%2Fpictor.example%2Fauth%2Fgithub%2Fcallback&scope=read%3Auser+user%3Aemail"
                       + "&state=the-state&code_challenge=\(OAuthClient.challenge(for: "the-verifier"))&code_challenge_method=S256")
        var google = SignInProviderSettings(.google)
        google.authorizeURL = "https://accounts.example/auth?hd=example.com"
        XCTAssertTrue(OAuthClient(settings: google, timeout: 5).authorizationURL(state: "s", verifier: "v", redirectURI: "r")
            .hasPrefix("https://accounts.example/auth?hd=example.com&response_type=code"), "a configured query is kept")
    }

    // MARK: Attempts

    func testAnAttemptFinishesOnceWithinTenMinutesAndHousekeepingPurgesTheRest() throws {
        let (_, db) = try TestDatabase.migrated("signin")
        defer { db.close() }
        let attempts = OAuthAttempts(db: db)
        let (state, verifier) = try attempts.begin(.google, next: "/gallery", linkUserID: nil)
        XCTAssertEqual(state.count, 43)
        XCTAssertEqual(verifier.count, 43)
        XCTAssertNil(try attempts.finish(state: String(repeating: "A", count: 43)), "an unknown state")
        XCTAssertNil(try attempts.finish(state: "short"))
        let attempt = try XCTUnwrap(try attempts.finish(state: state))
        XCTAssertEqual(attempt.provider, .google)
        XCTAssertEqual(attempt.verifier, verifier)
        XCTAssertEqual(attempt.nextPath, "/gallery")
        XCTAssertNil(attempt.linkUserID)
        XCTAssertNil(try attempts.finish(state: state), "a state works once")

        let (late, _) = try attempts.begin(.github, next: nil, linkUserID: nil)
        let (waiting, _) = try attempts.begin(.github, next: nil, linkUserID: nil)
        let (expired, _) = try attempts.begin(.github, next: nil, linkUserID: nil)
        try db.query("UPDATE oauth_attempts SET expires_at = now() - interval '1 second' WHERE state_hash <> $1", [Crypto.sha256(waiting)])
        XCTAssertNil(try attempts.finish(state: late), "an attempt past ten minutes")
        XCTAssertEqual(try Housekeeping(db: db).purgeExpired(), Housekeeping.Purged(signIns: 1))
        XCTAssertNil(try attempts.finish(state: expired))
        XCTAssertNotNil(try attempts.finish(state: waiting), "a live attempt is kept")
    }
}
