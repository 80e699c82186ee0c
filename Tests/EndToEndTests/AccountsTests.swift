// Accounts through nginx: sign-up, login, sessions, CSRF, throttling, API keys, admin credits.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class AccountsTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack() }
    override class func tearDown() { stack.stop(); stack = nil }

    private func browser() -> Browser { Browser(base: stack.baseURL) }
    private func db() throws -> Connection { try Connection(stack.databaseURL) }
    private func json(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }
    private func userCount(_ email: String) throws -> Int {
        try db().query("SELECT count(*)::int AS n FROM users WHERE email = $1", [email])[0].get("n")
    }

    func testSignUpThenLogInGivesFiftyCredits() throws {
        let visitor = browser()
        let email = uniqueEmail()
        let answer = try visitor.submitSignUp(email: email)
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.text.contains("If this email had no account yet, yours is ready with 50 free credits"))
        XCTAssertNil(visitor.cookies["pictor_session"], "sign-up alone starts no session")
        let response = try visitor.logIn(email: email)
        XCTAssertEqual(response.status, 303)
        XCTAssertEqual(response.header("location"), "/account")
        let cookie = try XCTUnwrap(response.headers(named: "set-cookie").first { $0.hasPrefix("pictor_session=") })
        XCTAssertTrue(cookie.contains("HttpOnly"))
        XCTAssertTrue(cookie.contains("SameSite=Lax"))
        XCTAssertTrue(cookie.contains("Max-Age=2592000"))
        XCTAssertFalse(cookie.contains("Secure"), "plain HTTP gets no Secure flag")

        let account = try visitor.get("/account")
        XCTAssertEqual(account.status, 200)
        XCTAssertTrue(account.text.contains(email))
        XCTAssertTrue(account.text.contains("Sign-up bonus"))
        let me = try json(visitor.get("/api/v1/me"))
        XCTAssertEqual(me["email"] as? String, email)
        XCTAssertEqual(me["credits"] as? Int, 50)
        XCTAssertEqual(me["plan"] as? String, "free")
    }

    func testEmailIsTrimmedAndLowerCased() throws {
        let visitor = browser()
        let email = uniqueEmail()
        XCTAssertEqual(try visitor.signUp(email: "  " + email.uppercased() + " ").status, 303)
        XCTAssertEqual(try json(visitor.get("/api/v1/me"))["email"] as? String, email)
    }

    func testWrongPasswordAndUnknownEmailGetTheSameAnswer() throws {
        let email = uniqueEmail()
        try browser().signUp(email: email)
        let wrongPassword = try browser().logIn(email: email, password: "not the password")
        let unknownEmail = try browser().logIn(email: uniqueEmail(), password: "not the password")
        XCTAssertEqual(wrongPassword.status, 401)
        XCTAssertEqual(unknownEmail.status, 401)
        XCTAssertTrue(wrongPassword.text.contains("Email or password is incorrect."))
        XCTAssertTrue(unknownEmail.text.contains("Email or password is incorrect."))
        XCTAssertFalse(wrongPassword.headers(named: "set-cookie").contains { $0.hasPrefix("pictor_session=") })
        let right = try browser().logIn(email: email)
        XCTAssertEqual(right.status, 303)
        XCTAssertEqual(right.header("location"), "/account")
    }

    func testLogoutEndsTheSessionForGood() throws {
        let visitor = browser()
        try visitor.signUp(email: uniqueEmail())
        let oldCookie = try XCTUnwrap(visitor.cookies["pictor_session"])
        let logout = try visitor.post("/logout", [], csrfFrom: "/account")
        XCTAssertEqual(logout.status, 303)
        XCTAssertNil(visitor.cookies["pictor_session"], "the cookie is cleared")

        let replay = browser()
        replay.setCookie("pictor_session", oldCookie)
        let account = try replay.get("/account")
        XCTAssertEqual(account.status, 303)
        XCTAssertEqual(account.header("location"), "/login?next=%2Faccount")
        XCTAssertEqual(try replay.get("/api/v1/me").status, 401)
    }

    func testUnknownOrMalformedSessionCookieIsLoggedOut() throws {
        let visitor = browser()
        for value in ["nonsense", String(repeating: "A", count: 43), "%00%ff"] {
            visitor.setCookie("pictor_session", value)
            XCTAssertEqual(try visitor.get("/account").status, 303)
            XCTAssertEqual(try visitor.get("/").status, 200)
        }
    }

    func testPostsWithoutOrWithAWrongCSRFTokenAreRefusedAndChangeNothing() throws {
        // Sign-up without a token: refused, no account.
        let email = uniqueEmail()
        let visitor = browser()
        _ = try visitor.get("/signup")
        let noToken = try visitor.post("/signup", [("email", email), ("password", "correct horse battery")])
        XCTAssertEqual(noToken.status, 403)
        XCTAssertEqual(try userCount(email), 0)

        // Logged in: creating a key or logging out with a forged token does nothing.
        try visitor.signUp(email: email)
        for token in [nil, "forged-token", String(repeating: "x", count: 43)] {
            let fields = token.map { [("name", "laptop"), ("csrf_token", $0)] } ?? [("name", "laptop")]
            XCTAssertEqual(try visitor.post("/account/api-keys", fields).status, 403)
            XCTAssertEqual(try visitor.post("/logout", token.map { [("csrf_token", $0)] } ?? []).status, 403)
        }
        let keys: Int = try db().query("""
            SELECT count(*)::int AS n FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1
            """, [email])[0].get("n")
        XCTAssertEqual(keys, 0)
        XCTAssertEqual(try visitor.get("/account").status, 200, "still logged in")

        // Another visitor's token is not this visitor's token.
        let other = browser()
        try other.signUp(email: uniqueEmail())
        let otherToken = try other.csrfToken(on: "/account")
        XCTAssertEqual(try visitor.post("/account/api-keys", [("name", "x"), ("csrf_token", otherToken)]).status, 403)
    }

    func testAPIKeyWorksWithBearerUntilRevoked() throws {
        let visitor = browser()
        try visitor.signUp(email: uniqueEmail())
        let posted = try visitor.post("/account/api-keys", [("name", "laptop script")], csrfFrom: "/account")
        XCTAssertEqual(posted.status, 303, "post, redirect, get: a reload cannot create a second key")
        XCTAssertEqual(posted.header("Location"), "/account#api-keys")
        let created = try visitor.get("/account")
        XCTAssertEqual(created.header("cache-control"), "private, no-store")
        let range = try XCTUnwrap(created.text.range(of: #"pk_[A-Za-z0-9_-]{43}"#, options: .regularExpression))
        let secret = String(created.text[range])
        XCTAssertTrue(created.text.contains(#"data-copy="new-key-secret""#), "a Copy button")
        XCTAssertEqual(try db().query("SELECT count(*)::int AS n FROM api_keys WHERE name = 'laptop script'")[0].get("n", as: Int.self), 1)

        let api = HTTPClient()
        let me = try api.get(stack.baseURL + "/api/v1/me", headers: [("Authorization", "Bearer " + secret)])
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual(try json(me)["credits"] as? Int, 50)

        let page = try visitor.get("/account")
        XCTAssertFalse(page.text.contains(secret), "the secret is shown exactly once")
        XCTAssertTrue(page.text.contains(String(secret.prefix(11))), "the prefix identifies the key")
        XCTAssertTrue(page.text.contains("laptop script"))

        let keyID: Int64 = try db().query("SELECT id FROM api_keys WHERE prefix = $1", [String(secret.prefix(11))])[0].get("id")
        let revoke = try visitor.post("/account/api-keys/\(keyID)/revoke", [], csrfFrom: "/account")
        XCTAssertEqual(revoke.status, 303)
        XCTAssertTrue(try visitor.get("/account").text.contains("The API key was revoked."), "the next page says what happened")
        XCTAssertFalse(try visitor.get("/account").text.contains("The API key was revoked."), "once")
        let after = try api.get(stack.baseURL + "/api/v1/me", headers: [("Authorization", "Bearer " + secret)])
        XCTAssertEqual(after.status, 401)
        XCTAssertEqual((try json(after)["error"] as? [String: String])?["code"], "unauthorized")
        XCTAssertEqual(after.header("www-authenticate"), "Bearer")
    }

    func testSomeoneElsesKeyCannotBeRevoked() throws {
        let owner = browser()
        try owner.signUp(email: uniqueEmail())
        XCTAssertEqual(try owner.post("/account/api-keys", [("name", "mine")], csrfFrom: "/account").status, 303)
        let created = try owner.get("/account")
        let secret = String(created.text[try XCTUnwrap(created.text.range(of: #"pk_[A-Za-z0-9_-]{43}"#, options: .regularExpression))])
        let keyID: Int64 = try db().query("SELECT id FROM api_keys WHERE prefix = $1", [String(secret.prefix(11))])[0].get("id")

        let attacker = browser()
        try attacker.signUp(email: uniqueEmail())
        XCTAssertEqual(try attacker.post("/account/api-keys/\(keyID)/revoke", [], csrfFrom: "/account").status, 404)
        XCTAssertEqual(try attacker.post("/account/api-keys/../../x/revoke", [], csrfFrom: "/account").status, 404)
        XCTAssertEqual(try HTTPClient().get(stack.baseURL + "/api/v1/me", headers: [("Authorization", "Bearer " + secret)]).status, 200)
    }

    func testMeWithoutValidCredentialsIs401() throws {
        let api = HTTPClient()
        for headers in [[], [("Authorization", "Bearer pk_nope")], [("Authorization", "Basic abc")], [("Authorization", "Bearer ")]] {
            let response = try api.get(stack.baseURL + "/api/v1/me", headers: headers)
            XCTAssertEqual(response.status, 401)
            XCTAssertEqual((try json(response)["error"] as? [String: String])?["code"], "unauthorized")
        }
    }

    func testLedgerSumEqualsBalanceAfterAdminGrantsAndRevokes() throws {
        let email = uniqueEmail()
        let visitor = browser()
        try visitor.signUp(email: email)
        let admin = { (args: [String]) throws -> String in
            try runCommand(PictorStack.binary, ["admin"] + args + ["--config", self.stack.configPath, "--email", email])
        }
        XCTAssertTrue(try admin(["grant", "--amount", "25", "--reason", "support gesture"]).contains("balance 75"))
        XCTAssertTrue(try admin(["revoke", "--amount", "10", "--reason", "correction"]).contains("balance 65"))
        XCTAssertThrowsError(try admin(["revoke", "--amount", "1000", "--reason", "too much"]))
        XCTAssertEqual(try json(visitor.get("/api/v1/me"))["credits"] as? Int, 65)

        let row = try db().query("""
            SELECT u.credits, (SELECT sum(amount)::int FROM transactions t WHERE t.user_id = u.id) AS total,
                   (SELECT count(*)::int FROM transactions t WHERE t.user_id = u.id) AS entries
            FROM users u WHERE u.email = $1
            """, [email])[0]
        XCTAssertEqual(try row.get("credits", as: Int.self), 65)
        XCTAssertEqual(try row.get("total", as: Int.self), 65)
        XCTAssertEqual(try row.get("entries", as: Int.self), 3)
        let page = try visitor.get("/account").text
        XCTAssertTrue(page.contains("support gesture"))
        XCTAssertTrue(page.contains("Granted by admin"))
    }

    func testAdminCreatesUsersAndKeys() throws {
        let email = uniqueEmail()
        let created = try runCommand(PictorStack.binary, ["admin", "create-user", "--config", stack.configPath, "--email", email],
                                     input: "admin made pw\n")
        XCTAssertTrue(created.contains("with 50 credits"))
        let secret = try runCommand(PictorStack.binary, ["admin", "create-key", "--config", stack.configPath,
                                                         "--email", email, "--name", "ops"]).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(secret.hasPrefix("pk_"))
        let me = try HTTPClient().get(stack.baseURL + "/api/v1/me", headers: [("Authorization", "Bearer " + secret)])
        XCTAssertEqual(try json(me)["email"] as? String, email)
        XCTAssertTrue(try runCommand(PictorStack.binary, ["admin", "list-users", "--config", stack.configPath]).contains(email))
        XCTAssertEqual(try browser().logIn(email: email, password: "admin made pw").status, 303)
    }

    func testAdminCreateUserTakesThePasswordOnlyFromStandardInput() throws {
        let email = uniqueEmail()
        let createUser = ["admin", "create-user", "--config", stack.configPath, "--email", email]
        XCTAssertThrowsError(try runCommand(PictorStack.binary, createUser + ["--password", "seen by ps"], input: "pw\n")) { error in
            XCTAssertTrue("\(error)".contains("Unknown option '--password'"), "\(error)")
        }
        XCTAssertThrowsError(try runCommand(PictorStack.binary, createUser)) { error in
            XCTAssertTrue("\(error)".contains("no password on standard input"), "\(error)")
        }
        XCTAssertEqual(try userCount(email), 0)
    }

    func testChangingThePasswordEndsOtherSessions() throws {
        let email = uniqueEmail()
        let laptop = browser()
        try laptop.signUp(email: email)
        let phone = browser()
        XCTAssertEqual(try phone.logIn(email: email).status, 303)

        let wrong = try laptop.post("/account/password", [("current_password", "not it"), ("new_password", "a brand new password")],
                                    csrfFrom: "/account")
        XCTAssertEqual(wrong.status, 400)
        XCTAssertTrue(wrong.text.contains("Your current password is not correct."))
        XCTAssertEqual(try phone.get("/account").status, 200, "a refused change ends nothing")

        let changed = try laptop.post("/account/password", [("current_password", "correct horse battery"),
                                                            ("new_password", "a brand new password")], csrfFrom: "/account")
        XCTAssertEqual(changed.status, 303)
        XCTAssertEqual(try laptop.get("/account").status, 200, "this session stays")
        XCTAssertEqual(try phone.get("/account").status, 303, "the other session ended")
        XCTAssertEqual(try browser().logIn(email: email).status, 401)
        XCTAssertEqual(try browser().logIn(email: email, password: "a brand new password").status, 303)
    }

    func testLoginOnlyRedirectsToLocalPaths() throws {
        let email = uniqueEmail()
        try browser().signUp(email: email)
        for (next, expected) in [("/account?before=5", "/account?before=5"), ("//evil.example/x", "/account"),
                                 ("https://evil.example/", "/account")] {
            let visitor = browser()
            let response = try visitor.post("/login", [("email", email), ("password", "correct horse battery"), ("next", next)],
                                            csrfFrom: "/login")
            XCTAssertEqual(response.header("location"), expected)
        }
    }

    /// Every page, errors included, is rendered one way: the layout shows who is signed in.
    func testErrorPagesShowTheSignedInHeaderAndARequestID() throws {
        let email = uniqueEmail()
        let visitor = browser()
        try visitor.signUp(email: email)
        for path in ["/no/such/page", "/generations/not-an-id", "/", "/explore"] {
            let page = try visitor.get(path)
            XCTAssertTrue(page.text.contains("Signed in as <strong>\(email)</strong>"), "\(path) shows the signed-in header")
            XCTAssertTrue(page.text.contains("50 credits"), path)
            XCTAssertNotNil(page.header("x-request-id")?.range(of: "^[0-9a-f]{32}$", options: .regularExpression),
                            "nginx's request id comes back on \(path)")
        }
        XCTAssertEqual(try visitor.get("/no/such/page").status, 404)
        XCTAssertFalse(try browser().get("/no/such/page").text.contains("Signed in as"), "and signed out for others")
    }

    func testAccountPagesCarrySecurityHeaders() throws {
        for path in ["/login", "/signup"] {
            let response = try browser().get(path)
            XCTAssertEqual(response.status, 200)
            XCTAssertTrue(response.header("content-security-policy")?.contains("frame-ancestors 'none'") == true)
            XCTAssertEqual(response.header("x-content-type-options"), "nosniff")
            XCTAssertNotNil(response.header("referrer-policy"))
        }
    }
}

/// Throttling gets its own stack: a short window, and nginx's own per-address limit.
final class LoginThrottleTests: XCTestCase {
    func testFailedLoginsAreThrottledThenTheWindowResets() throws {
        let stack = try PictorStack(settings: ["accounts.login_max_failures": "3", "accounts.login_window": "3"], rateLimits: true)
        defer { stack.stop() }
        let email = "throttle-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try Browser(base: stack.baseURL).signUp(email: email)

        // Stay clear of a window boundary so all attempts land in one window (windows are
        // counted from the epoch, on this machine's clock, which PostgreSQL shares).
        try waitUntil("the first half of a 3 s window", timeout: 3) {
            Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 3) < 1.5
        }

        for _ in 0..<3 {
            XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email, password: "wrong password").status, 401)
        }
        let blocked = try Browser(base: stack.baseURL).logIn(email: email)
        XCTAssertEqual(blocked.status, 429, "even the right password waits")
        XCTAssertNotNil(Int(blocked.header("retry-after") ?? ""))
        XCTAssertTrue(blocked.text.contains("Too many failed login attempts"))

        // Once Retry-After has passed, the right password is let in. Polled once a second: nginx
        // lets through about a dozen login posts at once, and more only one per 3 s.
        let retryAfter = Double(blocked.header("retry-after") ?? "3") ?? 3
        var afterWindow: HTTPResponse?
        try waitUntil("the throttling window to pass", timeout: retryAfter + 1.5, pollInterval: 1) {
            afterWindow = try Browser(base: stack.baseURL).logIn(email: email)
            return afterWindow?.status != 429
        }
        XCTAssertEqual(afterWindow?.status, 303, "the window passed")
    }

    func testNginxLimitsLoginPostsPerAddress() throws {
        // The app's own throttle is set out of reach, so any 429 here is nginx's.
        let stack = try PictorStack(settings: ["accounts.login_max_failures": "1000"], rateLimits: true)
        defer { stack.stop() }
        let visitor = Browser(base: stack.baseURL)
        let statuses = try visitor.statusesOfRepeatedPosts("/login", [("email", "x@example.com"), ("password", "whatever1")], times: 30)
        XCTAssertTrue(statuses.contains(429), "nginx's limit_req answered 429: \(statuses)")
        XCTAssertEqual(Set(statuses), [401, 429])
        XCTAssertEqual(try visitor.get("/login").status, 200, "GET /login is not limited")
    }
}
