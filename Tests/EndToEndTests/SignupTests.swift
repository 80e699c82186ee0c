// Sign-up through nginx: one answer for free and taken emails, password rules, look-alike emails.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class SignupTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack() }
    override class func tearDown() { stack.stop(); stack = nil }

    private func browser() -> Browser { Browser(base: stack.baseURL) }
    private func db() throws -> Connection { try Connection(stack.databaseURL) }
    private func userCount(_ email: String) throws -> Int {
        try db().query("SELECT count(*)::int AS n FROM users WHERE email = $1", [email])[0].get("n")
    }

    /// The answer with what differs per request masked: the visitor's CSRF token, the request
    /// id and the date. Everything else (status, every header, every byte of the page) is kept.
    private func comparable(_ response: HTTPResponse, of visitor: Browser) throws -> String {
        let csrf = try XCTUnwrap(visitor.cookies["pictor_csrf"])
        let requestID = try XCTUnwrap(response.header("x-request-id"))
        let headers = response.headers.filter { $0.name != "date" }.map { "\($0.name): \($0.value)" }
        return (["\(response.status)"] + headers + [response.text]).joined(separator: "\n")
            .replacingOccurrences(of: csrf, with: "<csrf>").replacingOccurrences(of: requestID, with: "<request-id>")
    }

    func testATakenEmailGetsExactlyTheAnswerAFreeOneGets() throws {
        let email = uniqueEmail()
        let first = browser()
        let free = try first.submitSignUp(email: email)
        let second = browser()
        let taken = try second.submitSignUp(email: email, password: "another password")

        XCTAssertEqual(free.status, 200)
        XCTAssertTrue(free.text.contains("If this email had no account yet, yours is ready with 50 free credits"))
        XCTAssertTrue(free.text.contains("If it already had one, nothing was changed"))
        XCTAssertEqual(try comparable(free, of: first), try comparable(taken, of: second))
        for visitor in [first, second] { XCTAssertNil(visitor.cookies["pictor_session"], "no session either way") }

        // One account, with the first password and one bonus; the second sign-up changed nothing.
        XCTAssertEqual(try userCount(email), 1)
        let credits: Int = try db().query("SELECT credits FROM users WHERE email = $1", [email])[0].get("credits")
        XCTAssertEqual(credits, 50)
        XCTAssertEqual(try browser().logIn(email: email, password: "another password").status, 401)
        XCTAssertEqual(try browser().logIn(email: email).status, 303)
    }

    func testShortBlankAndCommonPasswordsAreRefusedAndCreateNothing() throws {
        for (password, message) in [
            ("12345678", "Use a password of at least 10 characters."),
            ("abcdefghi", "Use a password of at least 10 characters."),
            (String(repeating: " ", count: 12), "A password of only spaces is easy to guess; choose another."),
            ("qwertyuiop", "That password is one of the most common ones; choose another."),
            ("PassWord123", "That password is one of the most common ones; choose another."),
            (String(repeating: "p", count: 1025), "Use a password of at most 1024 characters."),
        ] {
            let email = uniqueEmail()
            let visitor = browser()
            let response = try visitor.submitSignUp(email: email, password: password)
            XCTAssertEqual(response.status, 400, message)
            XCTAssertTrue(response.text.contains(message), message)
            XCTAssertTrue(response.text.contains(#"value="\#(email)""#), "the form keeps the email")
            XCTAssertNil(visitor.cookies["pictor_session"])
            XCTAssertEqual(try userCount(email), 0, message)
        }
    }

    func testInvalidAndInvisiblyAlteredEmailsAreRefused() throws {
        for email in ["not-an-email", "zero\u{200B}width-\(UUID().uuidString.prefix(8))@example.com",
                      "rtl\u{202E}moc.elpmaxe-\(UUID().uuidString.prefix(8))@example.com"] {
            let response = try browser().submitSignUp(email: email)
            XCTAssertEqual(response.status, 400, email.debugDescription)
            XCTAssertTrue(response.text.contains("Enter a valid email address."), email.debugDescription)
            XCTAssertEqual(try userCount(email.lowercased()), 0)
        }
    }

    /// "é" typed as one code point (NFC) or as "e" plus a combining accent (NFD) is one address.
    func testCanonicallyEqualSpellingsOfAnEmailAreOneAccount() throws {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let composed = "jos\u{E9}-\(tag)@example.com"
        let decomposed = "jose\u{301}-\(tag)@example.com"
        XCTAssertNotEqual(Array(composed.utf8), Array(decomposed.utf8))

        let owner = browser()
        XCTAssertEqual(try owner.signUp(email: composed).status, 303)
        let visitor = browser()
        XCTAssertEqual(try visitor.logIn(email: decomposed).status, 303, "the other spelling logs in to the same account")
        let me = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(visitor.get("/api/v1/me").body)) as? [String: Any])
        XCTAssertEqual((me["email"] as? String).map { Array($0.utf8) }, Array(composed.utf8), "stored in NFC")

        // Signing up with the other spelling gives the usual answer and creates nothing.
        let again = try browser().submitSignUp(email: decomposed, password: "another password")
        XCTAssertEqual(again.status, 200)
        XCTAssertTrue(again.text.contains("If this email had no account yet"))
        let accounts: Int = try db().query("SELECT count(*)::int AS n FROM users WHERE email LIKE $1", ["%-\(tag)@example.com"])[0].get("n")
        XCTAssertEqual(accounts, 1)
        XCTAssertEqual(try browser().logIn(email: composed, password: "another password").status, 401)
    }

    func testPasswordChangeAndAdminRefuseShortAndCommonPasswords() throws {
        let email = uniqueEmail()
        let visitor = browser()
        try visitor.signUp(email: email)
        for (new, message) in [("123456789", "at least 10 characters"), ("1q2w3e4r5t", "one of the most common ones")] {
            let response = try visitor.post("/account/password", [("current_password", "correct horse battery"), ("new_password", new)],
                                            csrfFrom: "/account")
            XCTAssertEqual(response.status, 400)
            XCTAssertTrue(response.text.contains(message), message)
        }
        XCTAssertEqual(try browser().logIn(email: email).status, 303, "the password is unchanged")

        let adminEmail = uniqueEmail()
        XCTAssertThrowsError(try runCommand(PictorStack.binary, ["admin", "create-user", "--config", stack.configPath, "--email", adminEmail],
                                            input: "password123\n")) { error in
            XCTAssertTrue("\(error)".contains("That password is one of the most common ones"), "\(error)")
        }
        XCTAssertEqual(try userCount(adminEmail), 0)
    }
}

/// The per-address sign-up limit gets its own stacks: a low limit, and nginx's own limit.
final class SignupLimitTests: XCTestCase {
    private func count(_ stack: PictorStack, _ sql: String) throws -> Int {
        try Connection(stack.databaseURL).query(sql)[0].get("n")
    }

    /// The limit counts in hours from the epoch (on this machine's clock, which PostgreSQL
    /// shares): a test starts clear of the hour's end so that all its sign-ups land in one window.
    private func awayFromTheHoursEnd() throws {
        try waitUntil("the hour's last 30 s to pass", timeout: 35, pollInterval: 0.5) {
            Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) < 3570
        }
    }

    func testSignUpsFromOneAddressStopAtTheLimitAndCreateNoMoreCredits() throws {
        // nginx's per-address limit is off here (the stack's default), so every 429 is the app's.
        let stack = try PictorStack(settings: ["accounts.signup_per_hour": "3"])
        defer { stack.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()
        try awayFromTheHoursEnd()

        // Refused forms do not count: a person's typos leave the allowance untouched.
        for _ in 0..<4 {
            XCTAssertEqual(try Browser(base: stack.baseURL).submitSignUp(email: "typo-\(tag)@example.com", password: "short").status, 400)
        }
        var statuses: [Int] = []
        var refused: HTTPResponse?
        for n in 0..<30 {
            // The second sign-up reuses the first email: a taken email counts like a free one.
            let email = "farm\(n == 1 ? 0 : n)-\(tag)@example.com"
            let visitor = Browser(base: stack.baseURL)
            let response = try visitor.submitSignUp(email: email)
            statuses.append(response.status)
            if response.status == 429 {
                refused = response
                XCTAssertNil(visitor.cookies["pictor_session"])
            }
        }
        XCTAssertEqual(statuses, [200, 200, 200] + Array(repeating: 429, count: 27))
        let blocked = try XCTUnwrap(refused)
        XCTAssertNotNil(Int(blocked.header("retry-after") ?? "").flatMap { (1...3600).contains($0) ? $0 : nil })
        XCTAssertTrue(blocked.text.contains("Too many sign-ups from your network address. Try again in"))
        XCTAssertTrue(blocked.text.contains(#"value="farm29-\#(tag)@example.com""#), "the form is refilled")

        XCTAssertEqual(try count(stack, "SELECT count(*)::int AS n FROM users"), 2)
        XCTAssertEqual(try count(stack, "SELECT coalesce(sum(credits), 0)::int AS n FROM users"), 100)
        XCTAssertEqual(try count(stack, "SELECT count(*)::int AS n FROM transactions"), 2)
    }

    /// The shipped defaults together, as in the attack: nginx's limit and the app's 5 an hour.
    func testShippedLimitsStopASignUpFarm() throws {
        let stack = try PictorStack(settings: ["accounts.signup_per_hour": "5"], rateLimits: true)
        defer { stack.stop() }
        let tag = UUID().uuidString.prefix(8).lowercased()
        try awayFromTheHoursEnd()
        var statuses: [Int] = []
        for n in 0..<30 {
            statuses.append(try Browser(base: stack.baseURL).submitSignUp(email: "farm\(n)-\(tag)@example.com").status)
        }
        XCTAssertEqual(statuses.prefix(5), [200, 200, 200, 200, 200])
        XCTAssertEqual(Set(statuses.dropFirst(5)), [429], "\(statuses)")
        XCTAssertEqual(try count(stack, "SELECT count(*)::int AS n FROM users"), 5)
        XCTAssertEqual(try count(stack, "SELECT coalesce(sum(credits), 0)::int AS n FROM users"), 250)
    }

    func testNginxLimitsSignUpPostsPerAddress() throws {
        // The app's own limit is out of reach (the stack's default), so any 429 here is nginx's.
        let stack = try PictorStack(rateLimits: true)
        defer { stack.stop() }
        let visitor = Browser(base: stack.baseURL)
        let statuses = try visitor.statusesOfRepeatedPosts("/signup", [("email", "x@example.com"), ("password", "short")], times: 30)
        XCTAssertTrue(statuses.contains(429), "nginx's limit_req answered 429: \(statuses)")
        XCTAssertEqual(Set(statuses), [400, 429])
        XCTAssertEqual(try visitor.get("/signup").status, 200, "GET /signup is not limited")
    }
}
