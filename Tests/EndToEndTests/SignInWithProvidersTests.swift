// "Continue with Google / GitHub" through nginx against a local authorization server: the
// authorization-code flow with PKCE and a state bound to the browser, account creation and
// linking by verified address, and every way it can fail ending on the login page with nothing
// created and no session.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class SignInWithProvidersTests: XCTestCase {
    nonisolated(unsafe) static var provider: FakeOAuth!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }
    var provider: FakeOAuth { Self.provider }

    override class func setUp() {
        provider = FakeOAuth()
        stack = try! PictorStack(settings: provider.settings(timeout: 2).merging([
            "accounts.signup_bonus": "25",
            // Every test client is 127.0.0.1.
            "accounts.login_max_failures": "100",
        ]) { $1 })
    }

    override class func tearDown() {
        stack.stop()
        provider.stop()
    }

    override func setUp() {
        provider.setTokenEndpoint(.working)
    }

    private func database() throws -> Connection { try Connection(stack.databaseURL) }

    /// The person's subject at the provider: Google's are strings, GitHub's numbers.
    private func person(_ email: String, github: Bool = false, verified: Bool = true) -> FakeOAuth.Person {
        FakeOAuth.Person(subject: github ? String(Int.random(in: 1_000_000...9_999_999)) : "g-" + UUID().uuidString, email: email, verified: verified)
    }

    /// The browser presses "Continue with …" on `page`: the answer is a redirect to the provider.
    private func start(_ browser: Browser, _ name: String, from page: String = "/login", fields: [(String, String)] = []) throws -> String {
        let started = try browser.post("/auth/\(name)", fields, csrfFrom: page)
        XCTAssertEqual(started.status, 303, started.text)
        return try XCTUnwrap(started.header("Location"))
    }

    /// The person consents at the provider, which sends the browser back: the callback's path.
    private func consent(at authorizeURL: String) throws -> String {
        let answer = try HTTPClient().get(authorizeURL)
        XCTAssertEqual(answer.status, 302, answer.text)
        let location = try XCTUnwrap(answer.header("Location"))
        XCTAssertTrue(location.hasPrefix(stack.baseURL + "/auth/"), location)
        return String(location.dropFirst(stack.baseURL.count))
    }

    /// A whole sign-in as `who`: start, consent, come back. Returns the callback's answer.
    private func signIn(_ browser: Browser, _ name: String, as who: FakeOAuth.Person, from page: String = "/login",
                        fields: [(String, String)] = []) throws -> HTTPResponse {
        provider.consent(name, as: who)
        return try browser.get(consent(at: start(browser, name, from: page, fields: fields)))
    }

    private func users(_ email: String) throws -> [(id: Int64, hasPassword: Bool, verified: Bool)] {
        try database().query("SELECT id, password_hash IS NOT NULL AS has_password, email_verified_at IS NOT NULL AS verified FROM users WHERE email = $1",
                             [email]).map { (try $0.get("id"), try $0.get("has_password"), try $0.get("verified")) }
    }

    private func identities(_ userID: Int64) throws -> [String] {
        try database().query("SELECT provider FROM user_identities WHERE user_id = $1 ORDER BY provider", [userID]).map { try $0.get("provider") }
    }

    /// The login page's message after a refused sign-in, and that nothing was started.
    private func assertRefused(_ answer: HTTPResponse, status: Int, saying words: String, browser: Browser,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answer.status, status, answer.text, file: file, line: line)
        XCTAssertTrue(answer.text.contains("<h1 id=\"login-title\">Log in</h1>"), "the login page", file: file, line: line)
        XCTAssertTrue(answer.text.contains(words), answer.text, file: file, line: line)
        XCTAssertNil(answer.headers(named: "set-cookie").first { $0.hasPrefix("pictor_session=") && !$0.contains("Max-Age=0") },
                     "no session", file: file, line: line)
        XCTAssertEqual((try? browser.get("/account"))?.status, 303, "not signed in", file: file, line: line)
    }

    // MARK: New accounts and linking

    func testANewAccountViaGoogleIsMadeLikeASignUpWithTheAddressConfirmed() throws {
        let browser = Browser(base: stack.baseURL)
        let login = try browser.get("/login").text
        XCTAssertTrue(login.contains(#"<form method="post" action="/auth/google">"#), login)
        XCTAssertTrue(login.contains("Continue with Google") && login.contains("Continue with GitHub"))
        XCTAssertTrue(try browser.get("/signup").text.contains("Continue with Google"))

        let email = uniqueEmail()
        let who = person(email)
        provider.consent("google", as: who)
        let authorize = try start(browser, "google", from: "/signup")
        // The request to Google: PKCE S256, a state equal to the browser's cookie, our redirect URI.
        let query = FakeOAuth.formFields(String(try XCTUnwrap(authorize.split(separator: "?", maxSplits: 1).last)))
        XCTAssertTrue(authorize.hasPrefix(provider.url("/google/authorize?")), authorize)
        XCTAssertEqual(query["response_type"], "code")
        XCTAssertEqual(query["client_id"], FakeOAuth.clientID["google"])
        XCTAssertEqual(query["redirect_uri"], stack.baseURL + "/auth/google/callback")
        XCTAssertEqual(query["scope"], "openid email profile")
        XCTAssertEqual(query["code_challenge_method"], "S256")
        XCTAssertEqual(query["code_challenge"]?.count, 43)
        XCTAssertEqual(query["state"], browser.cookies["pictor_oauth_state"])
        XCTAssertFalse(authorize.contains(FakeOAuth.clientSecret["google"]!))
        let exchanges = provider.verifiedExchanges

        let back = try browser.get(consent(at: authorize))
        XCTAssertEqual(back.status, 303, back.text)
        XCTAssertEqual(back.header("Location"), "/generate", "a new account goes on to make its first image")
        XCTAssertEqual(provider.verifiedExchanges, exchanges + 1, "the token request proved the PKCE verifier")
        XCTAssertNil(browser.cookies["pictor_oauth_state"], "the state cookie is cleared")
        XCTAssertTrue(try browser.get("/generate").text.contains("Welcome! Your account is ready, with 25 free credits to start."))

        let user = try XCTUnwrap(try users(email).first)
        XCTAssertFalse(user.hasPassword)
        XCTAssertTrue(user.verified, "the provider verified the address")
        XCTAssertEqual(try identities(user.id), ["google"])
        let ledger = try database().query("SELECT amount, kind FROM transactions WHERE user_id = $1", [user.id])
        XCTAssertEqual(try ledger.map { "\(try $0.get("kind", as: String.self)) \(try $0.get("amount", as: Int.self))" }, ["bonus 25"])
        XCTAssertEqual(try database().query("SELECT credits FROM users WHERE id = $1", [user.id])[0].get("credits", as: Int.self), 25)

        let account = try browser.get("/account").text
        XCTAssertTrue(account.contains("Sign-in methods") && account.contains("<strong>Google</strong> <span class=\"muted\">\(email)</span>"), account)
        XCTAssertTrue(account.contains("Your only way to sign in"), "the only identity cannot be disconnected")
        XCTAssertTrue(account.contains("Email me a link to set a password"))
        XCTAssertTrue(account.contains("Connect GitHub"))
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email, password: "").status, 401, "no password signs this account in")

        // Signing in again finds the same account by its Google id, and lands on /account.
        let again = Browser(base: stack.baseURL)
        let second = try signIn(again, "google", as: who)
        XCTAssertEqual(second.status, 303)
        XCTAssertEqual(second.header("Location"), "/account")
        XCTAssertEqual(try users(email).count, 1)
        XCTAssertEqual(try database().query("SELECT count(*)::int AS n FROM transactions WHERE user_id = $1", [user.id])[0].get("n", as: Int.self), 1,
                       "no second bonus")
    }

    func testGitHubSignsIntoTheExistingPasswordAccountWithTheSameVerifiedAddress() throws {
        let email = uniqueEmail()
        let owner = Browser(base: stack.baseURL)
        try owner.signUp(email: email)
        let existing = try XCTUnwrap(try users(email).first)
        try database().query("UPDATE users SET email_verified_at = now() WHERE id = $1", [existing.id])

        // GitHub gives the address in another case; it is the same account.
        let browser = Browser(base: stack.baseURL)
        let answer = try signIn(browser, "github", as: person(email.uppercased(), github: true), fields: [("next", "/gallery")])
        XCTAssertEqual(answer.status, 303, answer.text)
        XCTAssertEqual(answer.header("Location"), "/gallery", "back where the person was going")
        XCTAssertEqual(try users(email).map(\.id), [existing.id], "no second account")
        XCTAssertEqual(try identities(existing.id), ["github"])
        XCTAssertTrue(try users(email)[0].hasPassword, "the password still works")
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email).status, 303)
        XCTAssertEqual(try owner.get("/account").status, 200, "the owner's other session goes on")
        let account = try browser.get("/account").text
        XCTAssertTrue(account.contains("<strong>GitHub</strong>") && account.contains("Disconnect GitHub"), account)
        XCTAssertEqual(try database().query("SELECT count(*)::int AS n FROM transactions WHERE user_id = $1", [existing.id])[0].get("n", as: Int.self), 1,
                       "only the sign-up bonus")
    }

    func testAnAccountWhoseAddressWasNeverConfirmedIsTakenBackByTheAddressOwner() throws {
        // Someone signs up with another person's address and a password of theirs, and makes a key.
        let email = uniqueEmail()
        let squatter = Browser(base: stack.baseURL)
        try squatter.signUp(email: email, password: "the squatter's password")
        XCTAssertEqual(try squatter.post("/account/api-keys", [("name", "mine")], csrfFrom: "/account").status, 303)
        let id = try XCTUnwrap(try users(email).first).id

        let owner = Browser(base: stack.baseURL)
        let answer = try signIn(owner, "google", as: person(email))
        XCTAssertEqual(answer.status, 303, answer.text)
        XCTAssertTrue(try owner.get("/account").text.contains("to keep it yours its password, other sessions and API keys were ended"))
        let user = try XCTUnwrap(try users(email).first)
        XCTAssertEqual(user.id, id)
        XCTAssertFalse(user.hasPassword)
        XCTAssertTrue(user.verified)
        XCTAssertEqual(try squatter.get("/account").status, 303, "the squatter's session ended")
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email, password: "the squatter's password").status, 401)
        XCTAssertEqual(try database().query("SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL", [id])[0]
            .get("n", as: Int.self), 0, "the squatter's API key is revoked")
    }

    // MARK: Failures: the login page, nothing created, no session

    func testAForgedOrMissingStateIsRefused() throws {
        let email = uniqueEmail()
        // An attacker's own finished consent, sent to a victim as a link (login CSRF).
        let attacker = Browser(base: stack.baseURL)
        provider.consent("google", as: person(email))
        let callback = try consent(at: start(attacker, "google"))
        let victim = Browser(base: stack.baseURL)
        _ = try start(victim, "google")   // even with a sign-in of their own under way
        assertRefused(try victim.get(callback), status: 400, saying: "could not be checked", browser: victim)

        // No state at all, and a cookie forged to match a state Pictor never issued.
        let code = try XCTUnwrap(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
        let bare = Browser(base: stack.baseURL)
        assertRefused(try bare.get("/auth/google/callback?code=\(code)"), status: 400, saying: "could not be checked", browser: bare)
        let forged = Browser(base: stack.baseURL)
        let made = String(repeating: "A", count: 43)
        forged.setCookie("pictor_oauth_state", made)
        assertRefused(try forged.get("/auth/google/callback?code=\(code)&state=\(made)"), status: 400, saying: "could not be checked", browser: forged)
        // A state started for GitHub does not finish a Google sign-in.
        let mixed = Browser(base: stack.baseURL)
        let githubState = try XCTUnwrap(URLComponents(string: try start(mixed, "github"))?.queryItems?.first { $0.name == "state" }?.value)
        assertRefused(try mixed.get("/auth/google/callback?code=\(code)&state=\(githubState)"), status: 400, saying: "could not be checked", browser: mixed)

        XCTAssertTrue(try users(email).isEmpty, "no account was made")
        // The attacker's own browser would still have worked: the refusals changed nothing at the provider.
        XCTAssertEqual(try attacker.get(callback).status, 303)
    }

    func testAReplayedCallbackOrCodeIsRefused() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        provider.consent("github", as: person(email, github: true))
        let callback = try consent(at: start(browser, "github"))
        XCTAssertEqual(try browser.get(callback).status, 303)
        XCTAssertEqual(try browser.post("/logout", [], csrfFrom: "/account").status, 303)

        // The same answer again: its state was used.
        assertRefused(try browser.get(callback), status: 400, saying: "could not be checked", browser: browser)
        // The old code with a fresh state of this browser: GitHub refuses the used code.
        let code = try XCTUnwrap(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
        let fresh = try XCTUnwrap(URLComponents(string: try start(browser, "github"))?.queryItems?.first { $0.name == "state" }?.value)
        assertRefused(try browser.get("/auth/github/callback?code=\(code)&state=\(fresh)"), status: 400,
                      saying: "GitHub did not accept this sign-in: its code was used already or has expired", browser: browser)
        XCTAssertEqual(try users(email).count, 1)
        XCTAssertTrue(stack.pictorLog().contains("sign-in with GitHub failed: the code was refused: bad_verification_code"))
    }

    func testASignInFinishedAfterTenMinutesIsRefused() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        provider.consent("google", as: person(email))
        let callback = try consent(at: start(browser, "google"))
        // The person left the provider's page open for longer than an attempt lives.
        try database().query("UPDATE oauth_attempts SET expires_at = now() - interval '1 second'")
        assertRefused(try browser.get(callback), status: 400, saying: "took longer than ten minutes", browser: browser)
        XCTAssertTrue(try users(email).isEmpty)
    }

    func testAProviderWithoutAVerifiedAddressIsRefused() throws {
        for (name, github) in [("google", false), ("github", true)] {
            let email = uniqueEmail() + name
            let browser = Browser(base: stack.baseURL)
            assertRefused(try signIn(browser, name, as: person(email, github: github, verified: false)), status: 400,
                          saying: "account has no verified email address", browser: browser)
            XCTAssertTrue(try users(email).isEmpty, name)
        }
    }

    func testCancelledProviderFailureAndTimeoutEndOnTheLoginPageWithNothingCreated() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        provider.deny("google")
        let cancelled = try browser.get(consent(at: start(browser, "google")))
        assertRefused(cancelled, status: 400, saying: "You cancelled the sign-in with Google. Nothing was changed.", browser: browser)
        XCTAssertTrue(cancelled.text.contains("Continue with Google"), "the buttons are there to try again")

        provider.setTokenEndpoint(.failing)
        assertRefused(try signIn(browser, "google", as: person(email)), status: 502, saying: "Google did not answer as expected", browser: browser)
        provider.setTokenEndpoint(.hanging)
        let began = Date()
        assertRefused(try signIn(browser, "github", as: person(email, github: true)), status: 502, saying: "GitHub did not answer as expected",
                      browser: browser)
        XCTAssertLessThan(Date().timeIntervalSince(began), 5.5, "oauth.timeout (2 s) ends the wait, not the provider")
        XCTAssertTrue(try users(email).isEmpty)
        let log = stack.pictorLog()
        XCTAssertTrue(log.contains("sign-in with Google failed: the provider is unavailable: the token endpoint answered HTTP 500"), log)
        XCTAssertTrue(log.contains("sign-in with GitHub failed: the provider is unavailable: no answer within 2 s"), log)
    }

    func testProviderSecretsAppearInNoPageAndNoLog() throws {
        let browser = Browser(base: stack.baseURL)
        provider.setTokenEndpoint(.failing)
        var pages = [try browser.get("/login").text, try browser.get("/signup").text, try browser.get("/privacy").text]
        pages.append(try signIn(browser, "google", as: person(uniqueEmail())).text)
        provider.setTokenEndpoint(.working)
        _ = try signIn(browser, "github", as: person(uniqueEmail(), github: true))
        pages.append(try browser.get("/account").text)
        let log = stack.pictorLog()
        for secret in FakeOAuth.clientSecret.values {
            for page in pages { XCTAssertFalse(page.contains(secret)) }
            XCTAssertFalse(log.contains(secret))
        }
        XCTAssertFalse(log.contains("gho_") || log.contains("ya29."), "no access token in the log")
        XCTAssertTrue(pages[2].contains("Signs in those who choose “Continue with Google”"), "the privacy page names the providers")
    }

    // MARK: Several identities, unlinking

    func testConnectingAndUnlinkingKeepAWayToSignIn() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try signIn(browser, "google", as: person(email)).status, 303)
        let id = try XCTUnwrap(try users(email).first).id
        let google = try database().query("SELECT id FROM user_identities WHERE user_id = $1", [id])[0].get("id", as: Int64.self)

        let refused = try browser.post("/account/identities/\(google)/unlink", [], csrfFrom: "/account")
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(refused.text.contains("This is the only way you can sign in."), refused.text)
        XCTAssertEqual(try identities(id), ["google"])

        // Connect GitHub from /account: another GitHub address is fine, the account is signed in.
        let octo = person("octo-" + email, github: true)
        let connected = try signIn(browser, "github", as: octo, from: "/account", fields: [("intent", "connect")])
        XCTAssertEqual(connected.status, 303, connected.text)
        XCTAssertEqual(connected.header("Location"), "/account#sign-in")
        XCTAssertTrue(try browser.get("/account").text.contains("Connected: you can now sign in with it."))
        XCTAssertEqual(try identities(id), ["github", "google"])

        // Now Google can go; then GitHub is the last way and stays.
        let unlinked = try browser.post("/account/identities/\(google)/unlink", [], csrfFrom: "/account")
        XCTAssertEqual(unlinked.status, 303)
        XCTAssertTrue(try browser.get("/account").text.contains("Disconnected: it no longer signs you in."))
        XCTAssertEqual(try identities(id), ["github"])
        let github = try database().query("SELECT id FROM user_identities WHERE user_id = $1", [id])[0].get("id", as: Int64.self)
        XCTAssertEqual(try browser.post("/account/identities/\(github)/unlink", [], csrfFrom: "/account").status, 400)
        XCTAssertEqual(try signIn(Browser(base: stack.baseURL), "github", as: octo).header("Location"), "/account", "GitHub signs in")

        // Someone else cannot unlink it, nor connect the same GitHub account to theirs.
        let other = Browser(base: stack.baseURL)
        try other.signUp(email: uniqueEmail())
        XCTAssertEqual(try other.post("/account/identities/\(github)/unlink", [], csrfFrom: "/account").status, 404)
        XCTAssertEqual(try signIn(other, "github", as: octo, from: "/account", fields: [("intent", "connect")]).status, 303)
        XCTAssertTrue(try other.get("/account").text.contains("That account already signs into another Pictor account"))
        XCTAssertEqual(try identities(id), ["github"])

        // A password account may drop its only provider: the password remains.
        XCTAssertEqual(try signIn(other, "google", as: person("g-" + email), from: "/account", fields: [("intent", "connect")]).status, 303)
        let otherID = try database().query("SELECT user_id, id FROM user_identities WHERE email = $1", ["g-" + email])[0]
        XCTAssertEqual(try other.post("/account/identities/\(try otherID.get("id", as: Int64.self))/unlink", [], csrfFrom: "/account").status, 303)
    }

    func testAnAccountWithoutAPasswordIsDeletedByTypingItsAddress() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try signIn(browser, "google", as: person(email)).status, 303)
        let page = try browser.get("/account").text
        XCTAssertTrue(page.contains(#"name="confirm_email""#) && !page.contains(#"id="delete-password""#))
        XCTAssertEqual(try browser.post("/account/delete", [("confirm_email", "someone@example.com")], csrfFrom: "/account").status, 403)
        XCTAssertEqual(try users(email).count, 1, "nothing deleted")
        let deleted = try browser.post("/account/delete", [("confirm_email", email.uppercased())], csrfFrom: "/account")
        XCTAssertEqual(deleted.status, 303)
        XCTAssertTrue(try users(email).isEmpty)
        XCTAssertEqual(try database().query("SELECT count(*)::int AS n FROM user_identities WHERE email = $1", [email])[0].get("n", as: Int.self), 0)
    }
}
