// What an outside attack found, as regression tests through nginx: open redirects, control
// characters in headers and inputs, wild cursors, and login throttling keyed like accounts.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class SecurityTests: XCTestCase {
    nonisolated(unsafe) static var stack: PictorStack!   // set and cleared by XCTest's serial class setUp/tearDown
    var stack: PictorStack { Self.stack }

    override class func setUp() { stack = try! PictorStack() }
    override class func tearDown() { stack.stop(); stack = nil }


    /// A signed-in browser.
    private func member() throws -> (Browser, String) {
        let email = uniqueEmail()
        let visitor = Browser(base: stack.baseURL)
        try visitor.signUp(email: email)
        if try visitor.get("/account").status != 200 { XCTAssertEqual(try visitor.logIn(email: email).status, 303) }
        return (visitor, email)
    }

    /// Values a phishing link could put in `next`: each is refused whole, never followed.
    private let hostileNext = ["/\t/evil.example", "/\r/evil.example", "/\n/evil.example", "/\u{0}/evil.example",
                               "/\\evil.example", "//evil.example", "/\u{7}x", "https://evil.example/", "/ok\u{1B}[31m",
                               "/%09/evil.example\t"]

    func testRedirectTargetsWithControlCharactersOrOtherHostsAreNotFollowed() throws {
        let (visitor, email) = try member()
        for next in hostileNext {
            let query = "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let shown = try visitor.get(query)
            XCTAssertEqual(shown.status, 303, next.debugDescription)
            XCTAssertEqual(shown.header("location"), "/account", next.debugDescription)

            let fresh = Browser(base: stack.baseURL)
            let posted = try fresh.post("/login", [("email", email), ("password", "correct horse battery"), ("next", next)],
                                        csrfFrom: "/login")
            if next.unicodeScalars.contains(where: { $0.value < 0x20 && !["\t", "\n", "\r"].contains($0) }) {
                // Refused at the edge like any form field with NUL or another control: no session.
                XCTAssertEqual(posted.status, 400, "never a 502 from a header nginx cannot read: \(next.debugDescription)")
                XCTAssertEqual(fresh.cookies["pictor_session"], nil, next.debugDescription)
            } else {
                XCTAssertEqual(posted.status, 303, next.debugDescription)
                XCTAssertEqual(posted.header("location"), "/account", next.debugDescription)
            }
        }
        // An encoded tab is plain text in a path, not something a browser drops: it stays local.
        XCTAssertEqual(try visitor.get("/login?next=%2F%2509%2Fx").header("location"), "/%09/x")
    }

    func testLoginFormDoesNotCarryAHostileNextAlong() throws {
        for next in hostileNext {
            let page = try Browser(base: stack.baseURL).get("/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            // A query with NUL or another control is refused whole (400); otherwise the form shows.
            XCTAssertTrue([200, 400].contains(page.status), "\(page.status) for \(next.debugDescription)")
            XCTAssertFalse(page.text.contains(#"name="next""#), "no hidden next field for \(next.debugDescription)")
        }
    }

    func testNULInAnyTextFieldIs400AndChangesNothing() throws {
        let (visitor, _) = try member()
        let before = try counts()
        for path in ["/gallery?q=a%00b", "/gallery?model=flux%00", "/explore?cursor=%00", "/account?before=1%00"] {
            XCTAssertEqual(try visitor.get(path).status, 400, path)
        }
        let form = try visitor.post("/generate", [("prompt", "fox"), ("negative_prompt", "blur\u{0}ry")], csrfFrom: "/generate")
        XCTAssertEqual(form.status, 400)
        XCTAssertTrue(form.text.contains("contains a control character"), form.text)
        XCTAssertEqual(try visitor.post("/account/api-keys", [("name", "ci\u{0}key")], csrfFrom: "/account").status, 400)
        XCTAssertEqual(try visitor.post("/account/api-keys", [("name", "two\nlines")], csrfFrom: "/account").status, 400)

        let key = try APIKeyHelper.create(stack: stack)
        for body in [#"{"prompt": "fox", "negative_prompt": "a\u0000b"}"#, #"{"prompt": "fox\u0000"}"#,
                     #"{"prompt": "fox", "model": "flux\u0001"}"#] {
            let response = try key.post("/api/v1/generations", body: body)
            XCTAssertEqual(response.status, 400, body)
            XCTAssertTrue(response.text.contains("control character"), response.text)
        }
        XCTAssertEqual(try key.post("/api/v1/generations", body: #"{"prompt": "a backslash-u: \\u0000 is text"}"#).status, 202,
                       "an escaped backslash before u0000 is the text, not a NUL")
        for path in ["/api/v1/generations?q=a%00", "/api/v1/generations?model=%00"] {
            XCTAssertEqual(try key.get(path).status, 400, path)
        }
        XCTAssertEqual(try counts().generations, before.generations + 1, "only the valid request made anything")
        XCTAssertEqual(try counts().keys, before.keys + 1, "only the helper's key was made")
    }

    func testWildCursorsAre400EvenSignedOut() throws {
        let (visitor, _) = try member()
        let key = try APIKeyHelper.create(stack: stack)
        let id = "00000000-0000-4000-8000-000000000000"
        for cursor in ["9223372036854775807_\(id)", "-1_\(id)", "253402300800000000_\(id)", "99999999999999999999_\(id)"] {
            XCTAssertEqual(try Browser(base: stack.baseURL).get("/explore?cursor=" + cursor).status, 400, cursor)
            XCTAssertEqual(try visitor.get("/gallery?cursor=" + cursor).status, 400, cursor)
            XCTAssertEqual(try key.get("/api/v1/generations?cursor=" + cursor).status, 400, cursor)
        }
        XCTAssertEqual(try key.get("/api/v1/transactions?cursor=9223372036854775807").status, 200, "a huge ledger id is just past the end")
        XCTAssertEqual(try visitor.get("/account?before=9223372036854775807").status, 200)
    }

    func testSignedInPagesAreKeptByNoCache() throws {
        let (visitor, _) = try member()
        for path in ["/account", "/gallery", "/generate", "/", "/no/such/page"] {
            XCTAssertEqual(try visitor.get(path).header("cache-control"), "private, no-store", path)
        }
        XCTAssertEqual(try Browser(base: stack.baseURL).get("/").header("cache-control"), "no-cache", "signed out: revalidated")
    }

    func testGuessesOfTheCurrentPasswordAreThrottled() throws {
        let (visitor, _) = try member()
        let change = { (current: String) in
            try visitor.post("/account/password", [("current_password", current), ("new_password", "a brand new password 2")],
                             csrfFrom: "/account")
        }
        for _ in 0..<10 { XCTAssertEqual(try change("a wrong guess").status, 400) }
        let refused = try change("correct horse battery")
        XCTAssertEqual(refused.status, 429, "past the limit even the right password waits")
        XCTAssertNotNil(Int(refused.header("retry-after") ?? ""))
        XCTAssertTrue(refused.text.contains("Too many wrong passwords."))
    }

    func testAPasswordChangeRevokesAPIKeysOnlyWhenAsked() throws {
        for revoke in [false, true] {
            let (visitor, email) = try member()
            let key = try runCommand(PictorStack.binary, ["admin", "create-key", "--config", stack.configPath, "--email", email,
                                                          "--name", "tests"]).trimmingCharacters(in: .whitespacesAndNewlines)
            var fields = [("current_password", "correct horse battery"), ("new_password", "another brand new password")]
            if revoke { fields.append(("revoke_api_keys", "1")) }
            let changed = try visitor.post("/account/password", fields, csrfFrom: "/account")
            XCTAssertEqual(changed.status, 303)
            let me = try HTTPClient().send(HTTPRequest(method: "GET", url: stack.baseURL + "/api/v1/me",
                                                       headers: [("Authorization", "Bearer " + key)]))
            XCTAssertEqual(me.status, revoke ? 401 : 200, "revoke: \(revoke)")
        }
    }

    private func counts() throws -> (generations: Int, keys: Int) {
        let db = try Connection(stack.databaseURL)
        defer { db.close() }
        let row = try db.query("SELECT (SELECT count(*) FROM generations)::int AS g, (SELECT count(*) FROM api_keys)::int AS k")[0]
        return (try row.get("g"), try row.get("k"))
    }
}

/// Login throttling on a stack of its own (a short window, three failures).
final class LoginKeyingTests: XCTestCase {
    func testNewlineAndCaseVariantsOfAnEmailCountAsOneAccount() throws {
        let stack = try PictorStack(settings: ["accounts.login_max_failures": "3", "accounts.login_window": "60"])
        defer { stack.stop() }
        let email = "variant-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try Browser(base: stack.baseURL).signUp(email: email)
        for variant in [email + "\n", "\r" + email, email.uppercased() + "\r\n"] {
            XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: variant, password: "wrong password").status, 401)
        }
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email + "\t").status, 429,
                       "three failures on one account from this address, however the email was typed")
    }

    /// The attack that locked anyone out: failures from one address no longer refuse the owner's
    /// right password from another (curl sends from 127.0.0.2, which nginx reports as the address).
    func testFailuresFromOneAddressDoNotLockTheOwnerOutFromAnother() throws {
        let stack = try PictorStack(settings: ["accounts.login_max_failures": "3", "accounts.login_window": "60"])
        defer { stack.stop() }
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try Browser(base: stack.baseURL).signUp(email: email)
        for _ in 0..<4 { _ = try Browser(base: stack.baseURL).logIn(email: email, password: "wrong password") }
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email).status, 429, "the guessing address is refused")

        let jar = NSTemporaryDirectory() + "jar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: jar) }
        let curl = ["--silent", "--interface", "127.0.0.2", "--cookie", jar, "--cookie-jar", jar]
        let form = try runCommand("/usr/bin/curl", curl + [stack.baseURL + "/login"])
        let token = try XCTUnwrap(form.range(of: #"(?<=name="csrf_token" value=")[^"]+"#, options: .regularExpression).map { form[$0] })
        let status = try runCommand("/usr/bin/curl", curl + [
            "--output", "/dev/null", "--write-out", "%{http_code}", "--data-urlencode", "email=\(email)",
            "--data-urlencode", "password=correct horse battery", "--data-urlencode", "csrf_token=\(token)", stack.baseURL + "/login",
        ])
        XCTAssertEqual(status, "303", "the owner, from an address that has not been failing, gets in (slowed down, not refused)")
    }
}

/// An API key for a fresh user, and calls made with it.
struct APIKeyHelper {
    let stack: PictorStack
    let key: String
    let client = HTTPClient(connectTimeout: 2, timeout: 30)

    static func create(stack: PictorStack) throws -> APIKeyHelper {
        let email = "key-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try Browser(base: stack.baseURL).signUp(email: email)
        let key = try runCommand(PictorStack.binary, ["admin", "create-key", "--config", stack.configPath, "--email", email,
                                                      "--name", "tests"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return APIKeyHelper(stack: stack, key: key)
    }

    func get(_ path: String) throws -> HTTPResponse {
        try client.send(HTTPRequest(method: "GET", url: stack.baseURL + path, headers: [("Authorization", "Bearer " + key)]))
    }

    func post(_ path: String, body: String) throws -> HTTPResponse {
        try client.send(HTTPRequest(method: "POST", url: stack.baseURL + path,
                                    headers: [("Authorization", "Bearer " + key), ("Content-Type", "application/json")],
                                    body: Array(body.utf8)))
    }
}
