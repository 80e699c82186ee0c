// Mail as written to the wire, and the `[smtp]` settings.

import Codecs
import Foundation
import HTTPClient
@testable import Pictor
import TestSupport
import XCTest

final class MailMessageTests: XCTestCase {
    func testAMessageHasTheHeadersAndBothPartsInBase64() throws {
        let mail = Emails.lowCredit(to: "ana@example.com", balance: 3, pricing: "https://p.example/pricing", site: "Café <Pictor>")
        let date = Date(timeIntervalSince1970: 1_780_000_000)
        let bytes = MIMEMessage.render(mail, from: "Pictor <noreply@p.example>", messageID: "<m1@p.example>", date: date)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(bytes.allSatisfy { $0 < 0x80 }, "7-bit clean: no server needs 8BITMIME")
        XCTAssertFalse(text.split(separator: "\r\n", omittingEmptySubsequences: false).contains { $0.count > 998 })
        for header in ["Date: Thu, 28 May 2026 20:26:40 +0000", "From: Pictor <noreply@p.example>", "To: ana@example.com",
                       "Message-ID: <m1@p.example>", "MIME-Version: 1.0", "Auto-Submitted: auto-generated",
                       "Subject: =?UTF-8?B?\(Base64.encode(Array("Your Café <Pictor> credits are running low".utf8)))?="] {
            XCTAssertTrue(text.contains(header + "\r\n"), header)
        }
        XCTAssertTrue(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"))
        XCTAssertTrue(text.contains("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64"))
        XCTAssertTrue(mail.text.contains("Your balance is down to 3 credits.\n\nTo keep creating, pick a plan or a credit pack:\n\nhttps://p.example/pricing"))
        XCTAssertTrue(mail.html.contains("Café &lt;Pictor&gt;"), "the HTML part escapes what it shows")
        XCTAssertFalse(mail.html.contains("Café <Pictor>"))
    }

    func testTheSMTPClientAuthenticatesAndDeliversAndReportsARefusal() throws {
        let sink = FakeSMTP()
        defer { sink.stop() }
        let message = Array("Subject: hi\r\n\r\n.leading dot\r\nbody\r\n".utf8)
        try SMTPClient.send(message, from: "a@p.test", to: ["b@p.test"], via: SMTPServer(url: sink.url, username: "u", password: "p:w", timeout: 5))
        XCTAssertEqual(sink.messages.count, 1)
        XCTAssertEqual(sink.messages[0].from, "a@p.test")
        XCTAssertEqual(sink.messages[0].recipients, ["b@p.test"])
        XCTAssertEqual(sink.messages[0].credentials, "u:p:w")
        XCTAssertTrue(sink.messages[0].data.contains("\r\n.leading dot\r\nbody"), "dot-stuffing is undone intact")

        sink.setDown(true)
        XCTAssertThrowsError(try SMTPClient.send(message, from: "a@p.test", to: ["b@p.test"], via: SMTPServer(url: sink.url, timeout: 5)))
        XCTAssertThrowsError(try SMTPClient.send(message, from: "a@p.test", to: ["b@p.test"],
                                                 via: SMTPServer(url: sink.url, requireTLS: true, timeout: 5)),
                             "a server without STARTTLS is refused when TLS is required")
    }

    func testSMTPSettingsAreCheckedAndThePasswordComesFromTheEnvironment() throws {
        let path = NSTemporaryDirectory() + "pictor-\(UUID().uuidString).conf"
        try "[smtp]\nurl = smtps://mail.example.com:465\nusername = pictor\nfrom = Pictor <hello@example.com>\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try Config.load(path: path, environment: ["PICTOR_SMTP_PASSWORD": "s3cret"])
        XCTAssertEqual(config.mail.url, "smtps://mail.example.com:465")
        XCTAssertEqual(config.mail.password, "s3cret")
        XCTAssertEqual(config.mail.fromAddress, "hello@example.com")
        XCTAssertNil(try Config.load(path: nil, environment: [:]).mail.url, "no server: mail is logged")
        for (text, message) in [("[smtp]\nurl = mail.example.com\n", "smtp.url must start with smtp:// (STARTTLS, port 587) or smtps:// (port 465), got 'mail.example.com'"),
                                ("[smtp]\nfrom = nobody\n", "smtp.from must be an address such as Pictor <noreply@example.com>, got 'nobody'"),
                                ("[accounts]\nlow_credit_threshold = -1\n", "accounts.low_credit_threshold must be a whole number in 0…1000000, got '-1'")] {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Config.load(path: path, environment: [:])) { XCTAssertTrue("\($0)".hasSuffix(message), "\($0)") }
        }
    }
}
