// A mail Pictor sends, how it is queued (the outbox, in the caller's transaction) and how it
// is written out as a MIME message.

import Codecs
import Foundation
import Postgres

/// One message to one person: plain text, and the same as simple HTML.
struct Mail: Sendable, Equatable {
    enum Kind: String, Sendable {
        case passwordReset = "password_reset"
        case emailVerification = "email_verification"
        case lowCredit = "low_credit"
        case accountDeleted = "account_deleted"
    }

    let kind: Kind
    let to: String
    let subject: String
    let text: String
    let html: String
}

/// Queues mail in `email_outbox`. Called inside the transaction of the change that causes the
/// mail, so the mail exists exactly when the change does; `pictor worker` sends it later.
struct Outbox {
    let db: Connection

    /// `siteHost` names the Message-ID's domain (the host of `site.public_url`).
    func queue(_ mail: Mail, userID: Int64?, siteHost: String) throws {
        try db.query("""
            INSERT INTO email_outbox (user_id, to_address, subject, body_text, body_html, kind, message_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [userID, mail.to, mail.subject, mail.text, mail.html, mail.kind.rawValue, "<\(UUID().uuidString.lowercased())@\(siteHost)>"])
    }
}

/// RFC 5322 / MIME: headers, then a multipart/alternative body with the text and the HTML part,
/// each base64 in lines of 76, so no line is too long and no byte needs 8BITMIME.
enum MIMEMessage {
    static func render(_ mail: Mail, from: String, messageID: String, date: Date) -> [UInt8] {
        let boundary = "pictor-" + UUID().uuidString.lowercased()
        var lines = [
            "Date: " + rfc5322Date(date),
            "From: " + from,
            "To: " + mail.to,
            "Subject: " + encodedWord(mail.subject),
            "Message-ID: " + messageID,
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
        ]
        for (type, body) in [("text/plain", mail.text), ("text/html", mail.html)] {
            lines += ["--" + boundary, "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            lines += wrapped(Base64.encode(Array(body.utf8)))
        }
        lines += ["--" + boundary + "--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// "Sat, 05 Dec 2026 05:41:00 +0000".
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// ASCII subjects as they are; others as an RFC 2047 encoded word.
    static func encodedWord(_ text: String) -> String {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f } ? text : "=?UTF-8?B?\(Base64.encode(Array(text.utf8)))?="
    }

    private static func wrapped(_ text: String) -> [String] {
        var lines: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(76)))
            rest = rest.dropFirst(76)
        }
        return lines
    }
}
