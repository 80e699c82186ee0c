// Mail through the whole stack: pages queue it in their transactions, `pictor worker` sends it to
// a local SMTP sink over libcurl. Password reset, address confirmation, the low-credit mail, and
// an SMTP outage that loses nothing.

import Foundation
import HTTPClient
import Postgres
import TestSupport
import XCTest

final class MailTests: XCTestCase {
    nonisolated(unsafe) static var smtp: FakeSMTP!
    nonisolated(unsafe) static var stack: PictorStack!
    var stack: PictorStack { Self.stack }
    var smtp: FakeSMTP { Self.smtp }

    override class func setUp() {
        smtp = FakeSMTP()
        stack = try! PictorStack(settings: [
            "smtp.url": smtp.url, "smtp.username": "pictor", "smtp.password": "mail secret", "smtp.from": "Pictor Tests <noreply@pictor.test>",
            "site.name": "Pictor Tests", "generation.requests_per_minute": "1000",
            // Every test client is 127.0.0.1: the per-network limit of reset requests would add up across tests.
            "accounts.login_max_failures": "100",
        ], jobWorkers: 1)
    }

    override class func tearDown() {
        stack.stop()
        smtp.stop()
    }

    private func database() throws -> Connection { try Connection(stack.databaseURL) }

    /// Waits for the `count`th mail to `address` and returns the mails to it.
    @discardableResult
    private func mails(to address: String, count: Int = 1, seconds: Double = 15) throws -> [FakeSMTP.Message] {
        try stack.waitFor("\(count) mail(s) to \(address)", seconds: seconds) { smtp.messages(to: address).count >= count }
        return smtp.messages(to: address)
    }

    /// The first mail to `address` with this subject, once the worker has sent it (a sign-up's
    /// confirmation may arrive before or after it).
    private func mail(to address: String, subject: String) throws -> FakeSMTP.Message? {
        try stack.waitFor("a mail to \(address) about \(subject)") {
            smtp.messages(to: address).contains { $0.header("Subject") == subject }
        }
        return smtp.messages(to: address).first { $0.header("Subject") == subject }
    }

    /// The first link in a mail's text that starts with `path`.
    private func link(_ path: String, in mail: FakeSMTP.Message) throws -> String {
        let text = mail.text
        let range = try XCTUnwrap(text.range(of: NSRegularExpression.escapedPattern(for: stack.baseURL + path) + #"[A-Za-z0-9_\-]+"#,
                                                options: .regularExpression), text)
        return String(text[range].dropFirst(stack.baseURL.count))
    }

    private func outbox(to address: String) throws -> [(status: String, attempts: Int, error: String?)] {
        try database().query("SELECT status, attempts, last_error FROM email_outbox WHERE to_address = $1 ORDER BY id", [address]).map {
            (try $0.get("status"), try $0.get("attempts"), try $0.get("last_error"))
        }
    }

    // MARK: Password reset

    func testAResetLinkWorksOnceEndsEverySessionAndSetsTheNewPassword() throws {
        let email = uniqueEmail()
        let first = Browser(base: stack.baseURL), second = Browser(base: stack.baseURL)
        XCTAssertEqual(try first.signUp(email: email).status, 303)
        XCTAssertEqual(try second.logIn(email: email).status, 303)

        let login = try Browser(base: stack.baseURL).get("/login").text
        XCTAssertTrue(login.contains(#"<a href="/password/forgot">Forgot your password?</a>"#))
        let stranger = Browser(base: stack.baseURL)
        let asked = try stranger.post("/password/forgot", [("email", email.uppercased())], csrfFrom: "/password/forgot")
        XCTAssertEqual(asked.status, 200)
        XCTAssertTrue(asked.text.contains("a link to choose a new password is on its way"), asked.text)

        let mail = try XCTUnwrap(try mail(to: email, subject: "Reset your Pictor Tests password"))
        XCTAssertEqual(mail.from, "noreply@pictor.test")
        XCTAssertEqual(mail.credentials, "pictor:mail secret", "AUTH with the configured user and the password from the config")
        XCTAssertEqual(mail.header("From"), "Pictor Tests <noreply@pictor.test>")
        XCTAssertEqual(mail.header("To"), email)
        XCTAssertTrue(mail.header("Message-ID")?.hasSuffix("@127.0.0.1>") ?? false, mail.data)
        XCTAssertNotNil(mail.header("Date").flatMap { DateFormatter.rfc5322().date(from: $0) }, mail.data)
        XCTAssertTrue(mail.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=") ?? false)
        let path = try link("/password/reset?token=", in: mail)
        XCTAssertTrue(mail.part("text/html")?.contains(#"href="\#(stack.baseURL + path)""#) ?? false, mail.data)

        let form = try stranger.get(path)
        XCTAssertEqual(form.status, 200)
        let token = String(path.dropFirst("/password/reset?token=".count))
        let weak = try stranger.post("/password/reset", [("token", token), ("new_password", "short")], csrfFrom: path)
        XCTAssertEqual(weak.status, 400)
        XCTAssertTrue(weak.text.contains("at least 10 characters"), weak.text)
        let done = try stranger.post("/password/reset", [("token", token), ("new_password", "a brand new passphrase")], csrfFrom: path)
        XCTAssertEqual(done.status, 303)
        XCTAssertEqual(done.header("Location"), "/login")
        XCTAssertTrue(try stranger.get("/login").text.contains("Your new password is saved"))

        for browser in [first, second] {
            XCTAssertEqual(try browser.get("/account").status, 303, "every session of the account has ended")
        }
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email).status, 401, "the old password no longer works")
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email, password: "a brand new passphrase").status, 303)

        let again = try stranger.get(path)
        XCTAssertEqual(again.status, 400)
        XCTAssertTrue(again.text.contains("This link does not work any more"))
        XCTAssertEqual(try stranger.post("/password/reset", [("token", token), ("new_password", "yet another passphrase")],
                                         csrfFrom: "/password/forgot").status, 400)
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email, password: "yet another passphrase").status, 401)
    }

    func testAResetLinkExpiresAfterAnHour() throws {
        let email = uniqueEmail()
        XCTAssertEqual(try Browser(base: stack.baseURL).signUp(email: email).status, 303)
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.post("/password/forgot", [("email", email)], csrfFrom: "/password/forgot").status, 200)
        let path = try link("/password/reset?token=", in: XCTUnwrap(mail(to: email, subject: "Reset your Pictor Tests password")))
        try database().query("""
            UPDATE account_tokens SET expires_at = now() - interval '1 second'
            WHERE user_id = (SELECT id FROM users WHERE email = $1) AND purpose = 'password_reset'
            """, [email])
        XCTAssertEqual(try browser.get(path).status, 400)
        let token = String(path.dropFirst("/password/reset?token=".count))
        XCTAssertEqual(try browser.post("/password/reset", [("token", token), ("new_password", "a brand new passphrase")],
                                        csrfFrom: "/password/forgot").status, 400)
        XCTAssertEqual(try Browser(base: stack.baseURL).logIn(email: email).status, 303, "the password is unchanged")
    }

    func testAnUnknownAddressGetsTheSameAnswerAndNoMailAndRequestsAreThrottled() throws {
        let unknown = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        let answer = try browser.post("/password/forgot", [("email", unknown)], csrfFrom: "/password/forgot")
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.text.contains("If \(unknown) has an account here, a link to choose a new password is on its way"))
        XCTAssertEqual(try outbox(to: unknown).count, 0)
        let statuses = try (0..<3).map { _ in try browser.post("/password/forgot", [("email", unknown)], csrfFrom: "/password/forgot").status }
        XCTAssertEqual(statuses, [200, 200, 429], "at most three requests an address in the login window")
        XCTAssertEqual(try browser.post("/password/forgot", [("email", "not an address")], csrfFrom: "/password/forgot").status, 400)
    }

    // MARK: Address confirmation

    func testSignUpMailsAConfirmationLinkThatWorksOnce() throws {
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        XCTAssertEqual(try browser.signUp(email: email).status, 303)
        XCTAssertTrue(try browser.get("/account").text.contains("Address not confirmed"))
        let mail = try XCTUnwrap(try mail(to: email, subject: "Confirm your email address for Pictor Tests"))
        let path = try link("/email/verify?token=", in: mail)
        let confirmed = try Browser(base: stack.baseURL).get(path)
        XCTAssertEqual(confirmed.status, 200)
        XCTAssertTrue(confirmed.text.contains("your email address is confirmed"))
        XCTAssertFalse(try browser.get("/account").text.contains("Address not confirmed"))
        XCTAssertEqual(try browser.get(path).status, 400, "a used link does not work again")

        // Asking for the link again is possible while unconfirmed, three times an hour.
        let other = Browser(base: stack.baseURL)
        let otherEmail = uniqueEmail()
        XCTAssertEqual(try other.signUp(email: otherEmail).status, 303)
        let statuses = try (0..<4).map { _ in try other.post("/account/verify-email", [], csrfFrom: "/account").status }
        XCTAssertEqual(statuses, [303, 303, 303, 429])
        try mails(to: otherEmail, count: 4)
    }

    // MARK: Low credits

    func testCrossingTheThresholdMailsOnceAndAgainOnlyAfterATopUpAndANewCrossing() throws {
        let user = try APIUser.create(on: stack, credits: 7)
        func generate() throws {
            let status = try user.post(#"{"prompt": "a small boat", "model": "flux-schnell", "width": 512, "height": 512}"#).status
            XCTAssertTrue([200, 202].contains(status), "\(status)")
        }
        for _ in 0..<3 { try generate() }   // 7 → 4: crosses below 5
        try generate()                      // 4 → 3: still below, no second mail
        let first = try mails(to: user.email)
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(first[0].header("Subject"), "Your Pictor Tests credits are running low")
        XCTAssertTrue(first[0].text.contains("Your balance is down to 4 credits."), first[0].text)
        XCTAssertTrue(first[0].text.contains(stack.baseURL + "/pricing"))

        _ = try runCommand(PictorStack.binary, ["admin", "grant", "--config", stack.configPath, "--email", user.email,
                                                "--amount", "3", "--reason", "test top-up"])
        try generate()                      // 6 → 5: not below
        try generate()                      // 5 → 4: a new crossing
        let all = try mails(to: user.email, count: 2)
        XCTAssertTrue(all[1].text.contains("Your balance is down to 4 credits."))
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(smtp.messages(to: user.email).count, 2)
    }

    // MARK: Outage

    func testAnSMTPOutageIsRetriedAndNothingIsLostAndAMailPastItsTimeIsGivenUpLoudly() throws {
        let email = uniqueEmail()
        XCTAssertEqual(try Browser(base: stack.baseURL).signUp(email: email).status, 303)
        try mails(to: email)   // the confirmation, sent while the server was up
        smtp.setDown(true)
        defer { smtp.setDown(false) }
        XCTAssertEqual(try Browser(base: stack.baseURL).post("/password/forgot", [("email", email)], csrfFrom: "/password/forgot").status, 200)
        try stack.waitFor("a failed attempt") { (try? self.outbox(to: email).last?.error) != nil }
        let failed = try XCTUnwrap(try outbox(to: email).last)
        XCTAssertEqual(failed.status, "pending", "kept for another try")
        XCTAssertEqual(failed.attempts, 1)

        smtp.setDown(false)
        // The pause before the next try (30 s, then doubling) has passed.
        try database().query("UPDATE email_outbox SET send_after = now() WHERE to_address = $1 AND status = 'pending'", [email])
        let mails = try mails(to: email, count: 2)
        XCTAssertEqual(mails.last?.header("Subject"), "Reset your Pictor Tests password")
        try stack.waitFor("the mail marked sent") { (try? self.outbox(to: email).last?.status) == "sent" }
        XCTAssertEqual(try outbox(to: email).last?.attempts, 2)

        // A mail that still cannot go out after smtp.give_up_after is marked failed, with an error in the log.
        smtp.setDown(true)
        XCTAssertEqual(try Browser(base: stack.baseURL).post("/password/forgot", [("email", email)], csrfFrom: "/password/forgot").status, 200)
        try database().query("""
            UPDATE email_outbox SET created_at = now() - interval '2 days' WHERE to_address = $1 AND status = 'pending'
            """, [email])
        try stack.waitFor("the mail given up") { (try? self.outbox(to: email).last?.status) == "failed" }
        XCTAssertTrue(try String(contentsOfFile: stack.state + "/worker-0.log", encoding: .utf8).contains("gave up on mail"))
    }
}

extension DateFormatter {
    static func rfc5322() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }
}

/// Without `[smtp]`, mail goes to the worker's log (so `make run` works without a mail server);
/// with `accounts.bonus_after_verification`, the welcome credits wait for the confirmed address.
final class MailWithoutSMTPTests: XCTestCase {
    func testMailIsLoggedAndTheBonusWaitsForTheConfirmedAddress() throws {
        let stack = try PictorStack(settings: ["accounts.bonus_after_verification": "on"], jobWorkers: 1)
        defer { stack.stop() }
        let email = uniqueEmail()
        let browser = Browser(base: stack.baseURL)
        XCTAssertTrue(try browser.get("/signup").text.contains("Start with 50 free credits once you confirm your email address."))
        let answer = try browser.submitSignUp(email: email)
        XCTAssertTrue(answer.text.contains("we sent a link to confirm the address, which adds your 50 free credits"), answer.text)
        XCTAssertEqual(try browser.logIn(email: email).status, 303)
        func balance() throws -> Int {
            try Connection(stack.databaseURL).query("SELECT credits FROM users WHERE email = $1", [email])[0].get("credits")
        }
        XCTAssertEqual(try balance(), 0)

        let log = { (try? String(contentsOfFile: stack.state + "/worker-0.log", encoding: .utf8)) ?? "" }
        try stack.waitFor("the mail in the worker's log") { log().contains("mail (no [smtp] configured, so logged instead of sent) to \(email)") }
        let text = log()
        let range = try XCTUnwrap(text.range(of: NSRegularExpression.escapedPattern(for: stack.baseURL + "/email/verify?token=") + #"[A-Za-z0-9_\-]+"#,
                                             options: .regularExpression))
        let status: String = try Connection(stack.databaseURL).query("SELECT status FROM email_outbox WHERE to_address = $1", [email])[0].get("status")
        XCTAssertEqual(status, "logged")

        let confirmed = try browser.get(String(text[range].dropFirst(stack.baseURL.count)))
        XCTAssertTrue(confirmed.text.contains("50 free credits were added to your account."), confirmed.text)
        XCTAssertEqual(try balance(), 50)
        XCTAssertEqual(try browser.get(String(text[range].dropFirst(stack.baseURL.count))).status, 400)
        XCTAssertEqual(try balance(), 50, "one welcome, however often the link is opened")
    }
}
